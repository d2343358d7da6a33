// Runs the browser's sealer (static/elections/sealing.js) in node for the cross-implementation
// tests: reads one JSON request on stdin, writes the sealed ballot's canonical JSON, its opening
// and tracking code on stdout. With "randomness" (scalars as base64url), those are drawn in
// order instead of fresh ones, so Python's seal_ballot can be fed the same and the bytes compared.
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const request = JSON.parse(readFileSync(0, "utf8"));
// A test may point at a tampered copy of the sealer, to check that Python refuses its ballots.
const sealer =
  request.sealer || path.join(here, "../../../src/asamblea/elections/static/elections/sealing.js");
const { sealBallot, sealRanking, canonicalJson, trackingCode, b64decode, ORDER, openingFile } = await import(
  pathToFileURL(sealer).href
);
let random;
if (request.randomness) {
  const queue = request.randomness.map((t) => {
    let k = 0n;
    const bytes = b64decode(t, 32);
    for (let i = 31; i >= 0; i--) k = (k << 8n) | BigInt(bytes[i]);
    if (k >= ORDER) throw new Error("test randomness must be reduced");
    return k;
  });
  random = () => {
    if (!queue.length) throw new Error("ran out of injected randomness");
    return queue.shift();
  };
}
// A ranked request carries "ranked": {id, candidates, ranks} and "ranking"; a homomorphic one
// "questions" and "selections".
const sealed = request.ranked
  ? sealRanking(request.public_key, request.election, request.ranked, request.ranking, random)
  : sealBallot(request.public_key, request.election, request.questions, request.selections, random);
const { ballot, opening } = sealed;
const canonical = canonicalJson(ballot);
const shape = request.ranked ? { ranked: request.ranked } : { questions: request.questions };
const claimed = request.ranked ? sealed.values : request.selections;
process.stdout.write(
  JSON.stringify({
    canonical,
    opening,
    tracking_code: trackingCode(canonical),
    opening_file: openingFile(request.election, canonical, shape, claimed, opening),
  }),
);
