// A trustee's key-generation steps in the browser: crypto/threshold.py's new_trustee,
// make_polynomial and complete_key (Belenios 2.0, 3.1.1 "Pedersen", messages of 4.6), and
// trustees/steps.py's choice of the next step, byte for byte, over the same share file
// (trustees/sharefile.py's JSON). Everything received is checked before use: certificates'
// signatures, every dealer's signature and proofs of knowledge of each coefficient, and this
// trustee's shares against the dealers' commitments; a failure names the trustee at fault.
//
// Random draws, in Python's order (the tests inject them): new_trustee: the signing key, the
// decryption key, the signature's w. make_polynomial: k coefficients, k proofs' w, then for each
// recipient r, s and a 24-byte nonce, then the signature's w. complete_key: the proof's w.

import { xchacha20poly1305 } from "../elections/vendor/noble/ciphers/chacha.js";
import { sha256, sha512 } from "../elections/vendor/noble/hashes/sha2.js";
import {
  ORDER,
  b64decode,
  b64encode,
  baseMul,
  challengeOver,
  decodePoint,
  indexBytes,
  mod,
  mul,
  pointText,
  randomScalar,
  scalarFromText,
  scalarText,
  scalarToBytes,
} from "../elections/sealing.js";

const utf8 = new TextEncoder();
const NONCE_BYTES = 24;
export const FORMAT = "asamblea-trustee/v1";

export class KeyGenerationError extends Error {
  constructor(trustee, reason) {
    super(`trustee ${trustee}: ${reason}`);
    this.trustee = trustee;
  }
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function boardFields(board) {
  return [utf8.encode("board"), utf8.encode(board.board), indexBytes(board.k), indexBytes(board.n)];
}

function randomBytes(n) {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export const freshRandomness = { scalar: randomScalar, bytes: randomBytes };

// --- Schnorr proofs (crypto/proofs.py prove_secret_key / verify_secret_key) ---------------------

function proveSecretKey(board, secret, pub, bound, tag, rnd) {
  const w = rnd.scalar();
  const commitment = baseMul(w);
  const ch = challengeOver(tag, boardFields(board), [...bound, pub.toBytes(), commitment.toBytes()]);
  return [scalarText(ch), scalarText(mod(w - secret * ch))];
}

function verifySecretKey(board, pub, proof, bound, tag) {
  const ch = scalarFromText(proof[0]);
  const response = scalarFromText(proof[1]);
  const commitment = baseMul(response).add(mul(ch, pub));
  return ch === challengeOver(tag, boardFields(board), [...bound, pub.toBytes(), commitment.toBytes()]);
}

// --- certificates (4.6.1, 4.6.2) -----------------------------------------------------------------

function certificateMessage(index, vk, ek) {
  return concat([utf8.encode("cert"), indexBytes(index), vk.toBytes(), ek.toBytes()]);
}

export function newTrustee(board, index, rnd = freshRandomness) {
  if (index < 1 || index > board.n) throw new Error("trustee index out of range");
  const signing = rnd.scalar();
  const decryption = rnd.scalar();
  const vk = baseMul(signing);
  const ek = baseMul(decryption);
  const signature = proveSecretKey(board, signing, vk, [certificateMessage(index, vk, ek)], "sigmsg", rnd);
  return {
    secrets: { signing_key: scalarText(signing), decryption_key: scalarText(decryption) },
    certificate: { index, verification_key: pointText(vk), encryption_key: pointText(ek), signature },
  };
}

function readCertificates(board, certs) {
  if (certs.map((c) => c.index).join() !== Array.from({ length: board.n }, (_, i) => i + 1).join()) {
    throw new Error("one certificate per trustee, in index order 1..n");
  }
  return certs.map((c) => {
    const vk = decodePoint(c.verification_key);
    const ek = decodePoint(c.encryption_key);
    if (!verifySecretKey(board, vk, c.signature, [certificateMessage(c.index, vk, ek)], "sigmsg")) {
      throw new KeyGenerationError(c.index, "certificate signature does not verify");
    }
    return { index: c.index, vk, ek };
  });
}

// --- the channel (threshold._share_key, _encrypt_share, _decrypt_share) ------------------------

function shareKey(board, dealer, recipient, gs) {
  const ad = concat([...boardFields(board), indexBytes(dealer), indexBytes(recipient)]);
  const key = sha512(concat([utf8.encode("asamblea/share-key/v1"), ad, gs.toBytes()])).slice(0, 32);
  return { key, ad };
}

// --- polynomials (4.6.4) -------------------------------------------------------------------------

function framed(parts) {
  return concat(parts.flatMap((p) => [indexBytes(p.length), p]));
}

function polynomialMessage(poly) {
  const parts = [utf8.encode("polynomial"), indexBytes(poly.dealer)];
  for (const a of poly.coefexps) parts.push(b64decode(a, 32));
  for (const [c, r] of poly.proofs) parts.push(b64decode(c, 32), b64decode(r, 32));
  for (const e of poly.shares) {
    parts.push(
      indexBytes(e.recipient),
      b64decode(e.alpha, 32),
      b64decode(e.beta, 32),
      b64decode(e.nonce, NONCE_BYTES),
      b64decode(e.data, 48),
    );
  }
  return framed(parts);
}

const coefficientBound = (dealer, k) => [utf8.encode("coefficient"), indexBytes(dealer), indexBytes(k)];

function evaluate(coefficients, x) {
  let result = 0n;
  for (const a of [...coefficients].reverse()) result = mod(result * BigInt(x) + a);
  return result;
}

export function makePolynomial(board, index, secrets, certs, rnd = freshRandomness) {
  const read = readCertificates(board, certs);
  const signing = scalarFromText(secrets.signing_key);
  const me = read[index - 1];
  if (!me.vk.equals(baseMul(signing))) throw new Error("these secrets are not this trustee's certificate");
  const coefficients = Array.from({ length: board.k }, () => rnd.scalar());
  const coefexps = coefficients.map((a) => baseMul(a));
  const proofs = coefficients.map((a, k) => proveSecretKey(board, a, coefexps[k], coefficientBound(index, k), "pok", rnd));
  const shares = read.map((cert) => {
    const r = rnd.scalar();
    const s = rnd.scalar();
    const gs = baseMul(s);
    const alpha = baseMul(r);
    const beta = mul(r, cert.ek).add(gs);
    const { key, ad } = shareKey(board, index, cert.index, gs);
    const nonce = rnd.bytes(NONCE_BYTES);
    const data = xchacha20poly1305(key, nonce, ad).encrypt(scalarToBytes(evaluate(coefficients, cert.index)));
    return { recipient: cert.index, alpha: pointText(alpha), beta: pointText(beta), nonce: b64encode(nonce), data: b64encode(data) };
  });
  const poly = { dealer: index, coefexps: coefexps.map(pointText), proofs, shares };
  poly.signature = proveSecretKey(board, signing, me.vk, [polynomialMessage(poly)], "sigmsg", rnd);
  return { dealer: poly.dealer, coefexps: poly.coefexps, proofs, shares, signature: poly.signature };
}

function checkPolynomial(board, cert, poly) {
  const i = cert.index;
  if (poly.dealer !== i) throw new KeyGenerationError(i, "polynomial out of order");
  if (poly.coefexps.length !== board.k || poly.proofs.length !== board.k) {
    throw new KeyGenerationError(i, `polynomial must have ${board.k} coefficients`);
  }
  if (poly.shares.map((e) => e.recipient).join() !== Array.from({ length: board.n }, (_, j) => j + 1).join()) {
    throw new KeyGenerationError(i, "one share per trustee, in index order");
  }
  if (!verifySecretKey(board, cert.vk, poly.signature, [polynomialMessage(poly)], "sigmsg")) {
    throw new KeyGenerationError(i, "polynomial signature does not verify");
  }
  poly.coefexps.forEach((a, k) => {
    if (!verifySecretKey(board, decodePoint(a), poly.proofs[k], coefficientBound(i, k), "pok")) {
      throw new KeyGenerationError(i, `no proof of knowledge of coefficient ${k}`);
    }
  });
}

function committedValue(coefexps, x) {
  let total = baseMul(0n);
  let power = 1n;
  for (const a of coefexps) {
    total = total.add(mul(power, decodePoint(a)));
    power = mod(power * BigInt(x));
  }
  return total;
}

// --- the share and the verification key (4.6.5, 4.6.6) ------------------------------------------

export function completeKey(board, index, secrets, certs, polys, rnd = freshRandomness) {
  const read = readCertificates(board, certs);
  if (polys.length !== board.n) throw new Error("one polynomial per trustee");
  const decryption = scalarFromText(secrets.decryption_key);
  let total = 0n;
  read.forEach((cert, i) => {
    const poly = polys[i];
    checkPolynomial(board, cert, poly);
    const sealed = poly.shares[index - 1];
    const gs = decodePoint(sealed.beta).subtract(mul(decryption, decodePoint(sealed.alpha)));
    const { key, ad } = shareKey(board, cert.index, index, gs);
    let share;
    try {
      const plain = xchacha20poly1305(key, b64decode(sealed.nonce, NONCE_BYTES), ad).decrypt(b64decode(sealed.data, 48));
      share = scalarFromText(b64encode(plain));
    } catch {
      throw new KeyGenerationError(cert.index, "share does not decrypt");
    }
    if (!baseMul(share).equals(committedValue(poly.coefexps, index))) {
      throw new KeyGenerationError(cert.index, `share for trustee ${index} does not match`);
    }
    total = mod(total + share);
  });
  const pub = baseMul(total);
  const pok = proveSecretKey(board, total, pub, [utf8.encode("verification"), indexBytes(index)], "pok", rnd);
  return { share: scalarText(total), verificationKey: { index, public: pointText(pub), pok } };
}

// --- a new trustee of a reshared board (crypto/reshare.py complete_reshare) ---------------------

function powMod(base, exponent) {
  let result = 1n;
  base = mod(base);
  while (exponent > 0n) {
    if (exponent & 1n) result = mod(result * base);
    base = mod(base * base);
    exponent >>= 1n;
  }
  return result;
}

// Section 4.19: lambda_d = prod_{k != d} k / (k - d) mod L.
export function lagrangeAtZero(indices) {
  if (new Set(indices).size !== indices.length || indices.some((i) => i <= 0)) {
    throw new Error("indices must be distinct and positive");
  }
  const out = new Map();
  for (const d of indices) {
    let num = 1n;
    let den = 1n;
    for (const k of indices) {
      if (k !== d) {
        num = mod(num * BigInt(k));
        den = mod(den * BigInt(k - d));
      }
    }
    out.set(d, mod(num * powMod(den, ORDER - 2n)));
  }
  return out;
}

function dealingMessage(oldBoard, d) {
  const parts = [utf8.encode("reshare"), utf8.encode(oldBoard), indexBytes(d.dealer)];
  for (const a of d.coefexps) parts.push(b64decode(a, 32));
  for (const [c, r] of d.proofs) parts.push(b64decode(c, 32), b64decode(r, 32));
  for (const e of d.shares) {
    parts.push(
      indexBytes(e.recipient),
      b64decode(e.alpha, 32),
      b64decode(e.beta, 32),
      b64decode(e.nonce, NONCE_BYTES),
      b64decode(e.data, 48),
    );
  }
  return framed(parts);
}

const reshareBound = (oldBoard, dealer, c) => [
  utf8.encode("reshare-coefficient"),
  utf8.encode(oldBoard),
  indexBytes(dealer),
  indexBytes(c),
];

function checkDealing(board, oldBoard, oldKey, d) {
  const i = d.dealer;
  if (d.coefexps.length !== board.k || d.proofs.length !== board.k) {
    throw new KeyGenerationError(i, `a dealing has ${board.k} coefficients`);
  }
  if (d.shares.map((e) => e.recipient).join() !== Array.from({ length: board.n }, (_, j) => j + 1).join()) {
    throw new KeyGenerationError(i, "one share per new trustee, in index order");
  }
  if (d.coefexps[0] !== pointText(oldKey)) throw new KeyGenerationError(i, "the dealing is not of this trustee's share");
  if (!verifySecretKey(board, oldKey, d.signature, [dealingMessage(oldBoard, d)], "sigmsg")) {
    throw new KeyGenerationError(i, "the dealing's signature does not verify");
  }
  d.coefexps.forEach((a, c) => {
    if (!verifySecretKey(board, decodePoint(a), d.proofs[c], reshareBound(oldBoard, i, c), "pok")) {
      throw new KeyGenerationError(i, `no proof of knowledge of coefficient ${c}`);
    }
  });
}

// old: {board, k, verification_keys: [{index, public, pok}]} as the API's "replaces" carries it.
export function completeReshare(board, index, secrets, certs, old, dealings, rnd = freshRandomness) {
  readCertificates(board, certs);
  const dealers = dealings.map((d) => d.dealer);
  if (dealers.length !== old.k || new Set(dealers).size !== dealers.length) {
    throw new Error(`exactly ${old.k} dealings by different old trustees`);
  }
  const oldKeys = new Map(old.verification_keys.map((vk) => [vk.index, decodePoint(vk.public)]));
  for (const d of dealings) {
    if (!oldKeys.has(d.dealer)) throw new KeyGenerationError(d.dealer, "not a trustee of the old board");
    checkDealing(board, old.board, oldKeys.get(d.dealer), d);
  }
  const lambdas = lagrangeAtZero(dealers);
  const decryption = scalarFromText(secrets.decryption_key);
  let total = 0n;
  for (const d of dealings) {
    const sealed = d.shares[index - 1];
    const gs = decodePoint(sealed.beta).subtract(mul(decryption, decodePoint(sealed.alpha)));
    const { key, ad } = shareKey(board, d.dealer, index, gs);
    let share;
    try {
      const plain = xchacha20poly1305(key, b64decode(sealed.nonce, NONCE_BYTES), ad).decrypt(b64decode(sealed.data, 48));
      share = scalarFromText(b64encode(plain));
    } catch {
      throw new KeyGenerationError(d.dealer, "share does not decrypt");
    }
    if (!baseMul(share).equals(committedValue(d.coefexps, index))) {
      throw new KeyGenerationError(d.dealer, `share for new trustee ${index} does not match`);
    }
    total = mod(total + lambdas.get(d.dealer) * share);
  }
  const pub = baseMul(total);
  const pok = proveSecretKey(board, total, pub, [utf8.encode("verification"), indexBytes(index)], "pok", rnd);
  return { share: scalarText(total), verificationKey: { index, public: pointText(pub), pok } };
}

// --- the next step (trustees/steps.py next_step) ---------------------------------------------------

// board: as GET /api/trustees/boards/ID answers; file: the share file's JSON (changed in place:
// the caller saves it BEFORE sending the message). Returns {step, message} to send, or
// {waiting: [indices], waitingStep}, or {done: true}.
export function nextStep(board, file, rnd = freshRandomness) {
  if (board.board !== file.board || board.k !== file.k || board.n !== file.n) {
    throw new Error(`this share file is for board ${file.board} (${file.k} of ${file.n}), not ${board.board} (${board.k} of ${board.n})`);
  }
  const mine = board.trustees[file.index - 1];
  const ctx = { board: board.board, k: board.k, n: board.n };
  for (const step of ["certificate", "polynomial", "verification_key"]) {
    if (mine[step] === null && file.sent[step]) return { step, message: file.sent[step] };
  }
  const missing = (step) => board.trustees.filter((t) => t[step] === null).map((t) => t.index);
  if (mine.certificate === null) {
    const made = newTrustee(ctx, file.index, rnd);
    file.secrets = made.secrets;
    file.sent.certificate = made.certificate;
    return { step: "certificate", message: made.certificate };
  }
  if (!file.secrets && !file.share) throw new Error("this file has no secrets: it is not the file that made the certificate");
  const certs = board.trustees.map((t) => t.certificate);
  if (board.replaces && mine.verification_key === null) {
    // A new trustee of a reshared board: after every certificate, k old trustees deal; then
    // this trustee's share is the Lagrange combination of what they dealt.
    const waiting = missing("certificate");
    if (waiting.length) return { waiting, waitingStep: "certificate" };
    if (board.dealings.length < board.replaces.k) return { waiting: [], waitingStep: "dealing" };
    const done = completeReshare(ctx, file.index, file.secrets, certs, board.replaces, board.dealings, rnd);
    file.share = done.share;
    file.secrets = null;
    file.sent.verification_key = done.verificationKey;
    return { step: "verification_key", message: done.verificationKey };
  }
  if (mine.polynomial === null) {
    const waiting = missing("certificate");
    if (waiting.length) return { waiting, waitingStep: "certificate" };
    file.sent.polynomial = makePolynomial(ctx, file.index, file.secrets, certs, rnd);
    return { step: "polynomial", message: file.sent.polynomial };
  }
  if (mine.verification_key === null) {
    const waiting = missing("polynomial");
    if (waiting.length) return { waiting, waitingStep: "polynomial" };
    const polys = board.trustees.map((t) => t.polynomial);
    const done = completeKey(ctx, file.index, file.secrets, certs, polys, rnd);
    file.share = done.share;
    file.secrets = null;
    file.sent.verification_key = done.verificationKey;
    return { step: "verification_key", message: done.verificationKey };
  }
  if (board.state !== "ready") return { waiting: missing("verification_key"), waitingStep: "verification_key" };
  if (!file.share || scalarFromText(file.share) === 0n) throw new Error("the board is ready but this file holds no share");
  file.public_key = board.public_key;
  return { done: true };
}

export function newShareFile(board, index) {
  if (index < 1 || index > board.n) throw new Error(`index ${index} is not on a board of ${board.n}`);
  return { format: FORMAT, board: board.board, k: board.k, n: board.n, index, secrets: null, sent: {}, share: null, public_key: null };
}


// --- the paper backup (trustees/sharefile.py paper_backup) ---------------------------------------

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes) {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

// The share as lines of base32 groups, each line ending in a two-character check, as
// `asamblea trustee backup` prints it and `asamblea trustee restore` reads it back.
export function paperBackup(file) {
  if (!file.share) throw new Error("this file holds no share yet: finish the key generation first");
  const uid = utf8.encode(file.board);
  const parts = [utf8.encode("ASBK1"), Uint8Array.from([file.k, file.n, file.index, uid.length]), uid, b64decode(file.share, 32)];
  if (file.public_key) parts.push(b64decode(file.public_key, 32));
  let body = concat(parts);
  body = concat([body, sha256(body).slice(0, 4)]);
  const text = base32(body);
  const lines = [];
  for (let start = 0, number = 1; start < text.length; start += 24, number += 1) {
    const chunk = text.slice(start, start + 24);
    const groups = chunk.match(/.{1,4}/g).join(" ");
    const check = base32(sha256(utf8.encode(`${number}:${chunk}`)).slice(0, 5)).slice(0, 2);
    lines.push(`${String(number).padStart(2, "0")}  ${groups}  ${check}`);
  }
  return lines.join("\n") + "\n";
}
