// Time the browser's sealer (elections/static/elections/sealing.js) in node, one core:
//   node bench/bench_browser_sealing.mjs [ROUNDS]
// Prints the median time to seal one ballot of each shape. A phone's browser is slower than node
// on a server core (budget several times these figures); the page seals once per review.
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const sealer = path.join(here, "../src/asamblea/elections/static/elections/sealing.js");
const { sealBallot, sealRanking, baseMul, pointText } = await import(pathToFileURL(sealer).href);

const rounds = Number(process.argv[2] || 30);
const key = pointText(baseMul(123456789n));
const cases = {
  "yes/no": () => sealBallot(key, "bench/election/1", [{ id: "q1", choices: 2, min: 0, max: 1 }], [[1, 0]]),
  "plurality of 5": () =>
    sealBallot(key, "bench/election/1", [{ id: "q1", choices: 5, min: 0, max: 1 }], [[0, 0, 1, 0, 0]]),
  "approval, 3 of 5": () =>
    sealBallot(key, "bench/election/1", [{ id: "q1", choices: 5, min: 0, max: 3 }], [[1, 0, 1, 0, 1]]),
  "ranked, 5 candidates": () =>
    sealRanking(key, "bench/election/1", { id: "q1", candidates: 5, ranks: 5 }, [3, 1, 5]),
};
for (const [name, seal] of Object.entries(cases)) {
  for (let i = 0; i < 3; i++) seal();
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    seal();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(`${name.padEnd(22)} median ${times[times.length >> 1].toFixed(1)} ms over ${rounds}`);
}
