// Runs the trustee's in-browser partial decryption (trustees/static/trustees/decrypting.js) in
// node: one JSON request on stdin ({share, public_key, groups, randomness?}), the body it would
// post on stdout. With "randomness" (scalars as base64url) the proofs draw those, in order.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

// Served, both apps' static files share one tree (/static/elections/, /static/trustees/), which
// decrypting.js's "../elections/sealing.js" relies on; rebuild that tree for node.
const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, "../../../src/asamblea");
const tree = mkdtempSync(path.join(tmpdir(), "asamblea-static-"));
symlinkSync(path.join(src, "elections/static/elections"), path.join(tree, "elections"));
mkdirSync(path.join(tree, "trustees"));
copyFileSync(path.join(src, "trustees/static/trustees/decrypting.js"), path.join(tree, "trustees/decrypting.js"));
const { partialsFor, shareMatches } = await import(pathToFileURL(path.join(tree, "trustees/decrypting.js")).href);
const sealing = await import(pathToFileURL(path.join(tree, "elections/sealing.js")).href);
rmSync(tree, { recursive: true });

const request = JSON.parse(readFileSync(0, "utf8"));
let random;
if (request.randomness) {
  const queue = request.randomness.map((t) => sealing.scalarFromText(t));
  random = () => {
    if (!queue.length) throw new Error("ran out of injected randomness");
    return queue.shift();
  };
}
const body = partialsFor(request.share, request.public_key, request.groups, random);
const matches = request.verification_key ? shareMatches(request.share, request.verification_key) : null;
process.stdout.write(JSON.stringify({ body, matches }));
