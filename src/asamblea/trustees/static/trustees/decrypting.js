// A trustee's partial decryption in the browser: trustees/sharefile.py partials_for and
// crypto/threshold.py partial_decrypt, byte for byte (Belenios 2.0, 4.18).
//
// For each ciphertext (alpha, beta) of a request's group, the factor alpha^S with a
// Chaum-Pedersen proof that log_g(g^S) = log_alpha(factor), tag "decrypt", bound to the trustee's
// index, the ciphertext's position within its chunk of 1,000 (as the record carries them) and
// beta, under the context (group's election id, question id, board key). Randomness: the proof's
// w, one per ciphertext, in order. The share never leaves this module's caller's memory.

import {
  ORDER,
  baseMul,
  challenge,
  decodePoint,
  indexBytes,
  mod,
  mul,
  pointText,
  randomScalar,
  scalarFromText,
  scalarText,
} from "../elections/sealing.js";

const CHUNK = 1000;

function proveDecryption(context, secret, pub, c, factor, trustee, position, random) {
  const w = random();
  const a = baseMul(w);
  const b = mul(w, c.alpha);
  const ch = challenge("decrypt", context, [
    indexBytes(trustee),
    indexBytes(position),
    c.beta.toBytes(),
    pub.toBytes(),
    c.alpha.toBytes(),
    factor.toBytes(),
    a.toBytes(),
    b.toBytes(),
  ]);
  return [scalarText(ch), scalarText(mod(w - secret * ch))];
}

// share: {index, share (scalar text)} from the trustee's file; groups as the API lists them:
// [{election, question, ciphertexts: [[alpha, beta], ...]}]. Returns the body to post.
export function partialsFor(share, publicKeyText, groups, random = randomScalar) {
  const secret = scalarFromText(share.share);
  if (secret === 0n || secret >= ORDER) throw new Error("this file holds no share");
  const pub = baseMul(secret);
  const key = decodePoint(publicKeyText);
  return {
    groups: groups.map((group) => {
      const context = { publicKey: key, electionId: group.election, questionId: group.question };
      const cts = group.ciphertexts.map(([a, b]) => ({ alpha: decodePoint(a), beta: decodePoint(b) }));
      const factors = [];
      const proofs = [];
      cts.forEach((c, i) => {
        const factor = mul(secret, c.alpha);
        factors.push(pointText(factor));
        proofs.push(proveDecryption(context, secret, pub, c, factor, share.index, i % CHUNK, random));
      });
      return { factors, proofs };
    }),
  };
}

// Whether a share file's share is the one behind a published verification key.
export function shareMatches(share, verificationKeyText) {
  return pointText(baseMul(scalarFromText(share.share))) === verificationKeyText;
}
