// Runs the trustee's in-browser key generation (trustees/static/trustees/keygen.js) in node:
// one JSON request on stdin {op, args, scalars?, bytes?}, the result on stdout. With "scalars"
// and "bytes" (base64url) those are drawn in order instead of fresh ones.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

// Both apps' static files share one tree when served; rebuild it for node.
const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, "../../../src/asamblea");
const tree = mkdtempSync(path.join(tmpdir(), "asamblea-static-"));
symlinkSync(path.join(src, "elections/static/elections"), path.join(tree, "elections"));
mkdirSync(path.join(tree, "trustees"));
copyFileSync(path.join(src, "trustees/static/trustees/keygen.js"), path.join(tree, "trustees/keygen.js"));
const keygen = await import(pathToFileURL(path.join(tree, "trustees/keygen.js")).href);
const sealing = await import(pathToFileURL(path.join(tree, "elections/sealing.js")).href);
rmSync(tree, { recursive: true });

const request = JSON.parse(readFileSync(0, "utf8"));
let rnd = keygen.freshRandomness;
if (request.scalars) {
  const scalars = request.scalars.map((t) => sealing.scalarFromText(t));
  const bytes = (request.bytes || []).map((t) => Uint8Array.from(Buffer.from(t, "base64url")));
  rnd = {
    scalar: () => {
      if (!scalars.length) throw new Error("ran out of injected scalars");
      return scalars.shift();
    },
    bytes: (n) => {
      const b = bytes.shift();
      if (!b || b.length !== n) throw new Error("ran out of injected bytes");
      return b;
    },
  };
}
const a = request.args;
let result;
if (request.op === "new_trustee") result = keygen.newTrustee(a.board, a.index, rnd);
else if (request.op === "make_polynomial") result = keygen.makePolynomial(a.board, a.index, a.secrets, a.certs, rnd);
else if (request.op === "complete_key") result = keygen.completeKey(a.board, a.index, a.secrets, a.certs, a.polys, rnd);
else if (request.op === "next_step") {
  const file = a.file || keygen.newShareFile(a.board, a.index);
  result = { next: keygen.nextStep(a.board, file, rnd), file };
} else if (request.op === "paper_backup") result = await keygen.paperBackup(a.file);
else throw new Error(`unknown op ${request.op}`);
process.stdout.write(JSON.stringify(result));
