// Sealing a homomorphic ballot in the browser: the prover side of src/asamblea/crypto/ballot.py,
// byte for byte, over ristretto255 from the vendored @noble/curves (RFC 9496).
//
// This module touches no page: seal.js reads the page and calls sealBallot; the tests run it in
// node beside Python's seal_ballot with the same injected randomness and compare the bytes.
//
// What must match Python exactly (docs/adr/0008-sealed-ballot-cryptography.md):
// - transcript.challenge: SHA-512 over parts each preceded by its length (4 bytes, big-endian):
//   "asamblea/sealed-ballot/v1", the proof's tag, "ristretto255", then the context
//   ("election", the joint key's 32 bytes, the election id and the question id in UTF-8), then
//   the bound parts, the statement and the commitments; the digest read little-endian mod L.
// - proofs.prove_interval (Belenios 2.0, 4.12) and ballot.seal_ballot (4.11.1): one ciphertext
//   per answer, a 0/1 proof per answer bound to its index and to every ciphertext of the answer,
//   a min..max proof of their sum bound to every ciphertext of the answer.
// - The order in which randomness is drawn: every answer's r first, then for each proof its w
//   and, for each simulated branch in order, its challenge then its response. Only the tests
//   rely on this order (to compare bytes); a voter's randomness is fresh either way.
// - Canonical JSON by RFC 8785 for this shape (objects with ASCII keys, arrays, strings and the
//   integer 1): keys sorted, no whitespace, strings as JSON.stringify writes them (RFC 8785
//   section 3.2.2.2 is ECMAScript's own string serialisation).
// - Points and scalars as base64url without padding; scalars 32 bytes little-endian, < L.

import { ristretto255 } from "./vendor/noble/curves/ed25519.js";
import { sha256, sha512 } from "./vendor/noble/hashes/sha2.js";

const Point = ristretto255.Point;
export const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
const PROTOCOL = "asamblea/sealed-ballot/v1";
const GROUP_NAME = "ristretto255";
const VERSION = 1;
const CHOICE_VALUES = [0, 1];
const utf8 = new TextEncoder();

// --- scalars and points --------------------------------------------------------------------------

export function mod(a) {
  const r = a % ORDER;
  return r < 0n ? r + ORDER : r;
}

function numberFromLE(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

export function scalarToBytes(k) {
  if (k < 0n || k >= ORDER) throw new Error("scalar out of range");
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(k & 0xffn);
    k >>= 8n;
  }
  return out;
}

// libsodium's crypto_core_ristretto255_scalar_random: 32 random bytes, the top three bits
// cleared, drawn again until the value is below L and not zero. Uniform over 1..L-1.
export function randomScalar() {
  const buf = new Uint8Array(32);
  for (;;) {
    globalThis.crypto.getRandomValues(buf);
    buf[31] &= 0x1f;
    const k = numberFromLE(buf);
    if (k !== 0n && k < ORDER) {
      buf.fill(0);
      return k;
    }
  }
}

// Zero scalar and identity point answered here, as group.mul does: noble's constant-time
// multiply refuses a zero scalar.
export function baseMul(k) {
  k = mod(k);
  return k === 0n ? Point.ZERO : Point.BASE.multiply(k);
}

export function mul(k, p) {
  k = mod(k);
  if (k === 0n || p.equals(Point.ZERO)) return Point.ZERO;
  return p.multiply(k);
}

export function decodePoint(text) {
  return Point.fromBytes(b64decode(text, 32));
}

// --- base64url without padding, strict ------------------------------------------------------------

export function b64encode(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64decode(text, length) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new Error("expected a base64url string");
  }
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  const out = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (out.length !== length || b64encode(out) !== text) {
    throw new Error("not the canonical base64url of the expected length");
  }
  return out;
}

export const pointText = (p) => b64encode(p.toBytes());
export const scalarText = (k) => b64encode(scalarToBytes(k));

export function scalarFromText(text) {
  const k = numberFromLE(b64decode(text, 32));
  if (k >= ORDER) throw new Error("scalar not reduced mod L");
  return k;
}

// --- transcript (crypto/transcript.py) -------------------------------------------------------------

export function indexBytes(i) {
  return new Uint8Array([(i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);
}

function contextFields(context) {
  return [
    utf8.encode("election"),
    context.publicKey.toBytes(),
    utf8.encode(context.electionId),
    utf8.encode(context.questionId),
  ];
}

export function challenge(tag, context, parts) {
  return challengeOver(tag, contextFields(context), parts);
}

// The same over other context fields (a board's: transcript.BoardContext.fields).
export function challengeOver(tag, fields, parts) {
  const h = sha512.create();
  const all = [utf8.encode(PROTOCOL), utf8.encode(tag), utf8.encode(GROUP_NAME)];
  for (const part of [...all, ...fields, ...parts]) {
    h.update(indexBytes(part.length));
    h.update(part);
  }
  return numberFromLE(h.digest()) % ORDER;
}

// --- disjunctive Chaum-Pedersen proof (crypto/proofs.py prove_interval) ----------------------------

function branchCommitments(y, c, value, ch, s) {
  const a = baseMul(s).add(mul(ch, c.alpha));
  const shifted = value === 0 ? c.beta : c.beta.subtract(baseMul(BigInt(value)));
  const b = mul(s, y).add(mul(ch, shifted));
  return [a, b];
}

function proveInterval(context, tag, c, r, m, values, bound, random) {
  const trueIndex = values.indexOf(m);
  if (trueIndex < 0) throw new Error("the plaintext is not among the allowed values");
  const y = context.publicKey;
  const w = random();
  const simulated = [];
  const commitments = [];
  values.forEach((value, j) => {
    if (j === trueIndex) {
      simulated.push([0n, 0n]);
      commitments.push(baseMul(w).toBytes(), mul(w, y).toBytes());
    } else {
      const ch = random();
      const s = random();
      simulated.push([ch, s]);
      const [a, b] = branchCommitments(y, c, value, ch, s);
      commitments.push(a.toBytes(), b.toBytes());
    }
  });
  const valueParts = [indexBytes(values.length), ...values.map(indexBytes)];
  const total = challenge(tag, context, [
    ...bound,
    ...valueParts,
    c.alpha.toBytes(),
    c.beta.toBytes(),
    ...commitments,
  ]);
  const trueChallenge = mod(total - simulated.reduce((acc, [ch]) => acc + ch, 0n));
  return simulated.map(([ch, s], j) =>
    j === trueIndex ? [trueChallenge, mod(w - r * trueChallenge)] : [ch, s],
  );
}

// --- sealing (crypto/ballot.py seal_ballot) --------------------------------------------------------

function range(lo, hi) {
  const out = [];
  for (let v = lo; v <= hi; v++) out.push(v);
  return out;
}

// questions: [{id, choices, min, max}] as in the page's seal-params block; selections: one 0/1
// array per question. random: a function returning a scalar (tests inject one; the page uses
// randomScalar). Returns {ballot, opening}: the ballot in ballot_to_json's shape, and the
// randomness of every ciphertext (for a Benaloh challenge only: it decrypts the ballot).
export function sealBallot(publicKeyText, electionId, questions, selections, random = randomScalar) {
  const y = decodePoint(publicKeyText);
  if (y.equals(Point.ZERO)) throw new Error("the identity is no public key");
  if (questions.length !== selections.length) throw new Error("one selection per question");
  const answers = [];
  const opening = [];
  questions.forEach((q, qi) => {
    const selection = selections[qi];
    const allowed = range(q.min, q.max);
    if (selection.length !== q.choices || selection.some((m) => m !== 0 && m !== 1)) {
      throw new Error(`${q.id}: a 0/1 value per answer`);
    }
    const selected = selection.reduce((a, b) => a + b, 0);
    if (!allowed.includes(selected)) throw new Error(`${q.id}: number of answers selected not allowed`);
    const context = { publicKey: y, electionId, questionId: q.id };
    const sealed = selection.map((m) => {
      const r = random();
      const shared = mul(r, y);
      return { alpha: baseMul(r), beta: m === 0 ? shared : shared.add(baseMul(BigInt(m))), r, m };
    });
    const everything = sealed.flatMap((c) => [c.alpha.toBytes(), c.beta.toBytes()]);
    const choiceProofs = sealed.map((c, i) =>
      proveInterval(context, "choice", c, c.r, c.m, CHOICE_VALUES, [indexBytes(i), ...everything], random),
    );
    const total = {
      alpha: sealed.slice(1).reduce((acc, c) => acc.add(c.alpha), sealed[0].alpha),
      beta: sealed.slice(1).reduce((acc, c) => acc.add(c.beta), sealed[0].beta),
    };
    const rTotal = mod(sealed.reduce((acc, c) => acc + c.r, 0n));
    const overall = proveInterval(context, "overall", total, rTotal, selected, allowed, everything, random);
    const proofJson = (p) => p.map(([ch, s]) => [scalarText(ch), scalarText(s)]);
    answers.push({
      question: q.id,
      choices: sealed.map((c) => [pointText(c.alpha), pointText(c.beta)]),
      choice_proofs: choiceProofs.map(proofJson),
      overall_proof: proofJson(overall),
    });
    opening.push(sealed.map((c) => scalarText(c.r)));
  });
  return { ballot: { v: VERSION, election: electionId, answers }, opening };
}

// --- ranked ballots (crypto/ranked.py seal_ranking) ------------------------------------------------

// question: {id, candidates, ranks}; ranking: candidate numbers 1..c, best first (empty: blank).
// Position i encrypts the candidate ranked i+1-th, or 0; each with a proof of 0..c bound to its
// position and every rank ciphertext.
export function sealRanking(publicKeyText, electionId, question, ranking, random = randomScalar) {
  const y = decodePoint(publicKeyText);
  if (y.equals(Point.ZERO)) throw new Error("the identity is no public key");
  const qid = question.id;
  if (ranking.length > question.ranks) throw new Error(`${qid}: at most ${question.ranks} ranks`);
  if (ranking.some((m) => !Number.isInteger(m) || m < 1 || m > question.candidates)) {
    throw new Error(`${qid}: a candidate number is 1..${question.candidates}`);
  }
  if (new Set(ranking).size !== ranking.length) throw new Error(`${qid}: a candidate is ranked twice`);
  const values = [...ranking, ...new Array(question.ranks - ranking.length).fill(0)];
  const context = { publicKey: y, electionId, questionId: qid };
  const sealed = values.map((m) => {
    const r = random();
    const shared = mul(r, y);
    return { alpha: baseMul(r), beta: m === 0 ? shared : shared.add(baseMul(BigInt(m))), r, m };
  });
  const everything = sealed.flatMap((c) => [c.alpha.toBytes(), c.beta.toBytes()]);
  const allowed = range(0, question.candidates);
  const proofs = sealed.map((c, i) =>
    proveInterval(context, "rank", c, c.r, c.m, allowed, [indexBytes(i), ...everything], random),
  );
  return {
    ballot: {
      v: VERSION,
      kind: "ranked",
      election: electionId,
      question: qid,
      ranks: sealed.map((c) => [pointText(c.alpha), pointText(c.beta)]),
      proofs: proofs.map((p) => p.map(([ch, s]) => [scalarText(ch), scalarText(s)])),
    },
    opening: sealed.map((c) => scalarText(c.r)),
    values,
  };
}

// --- canonical JSON and tracking code -------------------------------------------------------------

// RFC 8785 for the values a ballot holds: objects, arrays, strings and small integers. Keys are
// sorted by UTF-16 code units (the default sort), as section 3.2.3 requires.
export function canonicalJson(value) {
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (typeof value === "string") return JSON.stringify(value);
  if (Number.isSafeInteger(value)) return String(value);
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }
  throw new Error("only objects, arrays, strings and integers belong in a ballot");
}

export function trackingCode(canonical) {
  return b64encode(sha256(utf8.encode(canonical)));
}

// --- the opening of a challenged ballot (read by `asamblea verify-ballot`) -------------------------

// What the voter downloads after "Check this sealed ballot": the choices the page claims it
// sealed, the randomness of every ciphertext, and the shapes and names of the questions as the
// page showed them (verify-ballot prefers shapes given from the record).
export function openingFile(electionId, canonical, shape, claimed, randomness) {
  const file = { v: VERSION, kind: "ballot-opening", election: electionId, tracking_code: trackingCode(canonical) };
  if (shape.ranked) {
    file.ranked = shape.ranked;
    file.values = claimed;
  } else {
    file.questions = shape.questions;
    file.selections = claimed;
  }
  file.randomness = randomness;
  return file;
}
