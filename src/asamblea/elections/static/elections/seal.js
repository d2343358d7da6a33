// The ballot page with JavaScript: the choice is sealed here and never leaves the browser.
//
// Without this script (or in a browser that cannot run ES modules) the form posts the choice
// and the server seals it at its door, in memory. With it, "Review my ballot" stays on the page:
// the choice is read from the form, sealed by sealing.js under the election's key from the
// page's seal-params block, and the voter sees its tracking code and may
//   - cast it: a separate form posts step=cast, the code, the sealed ballot and an idempotency
//     key, and nothing else (the plain fields are never submitted);
//   - check it (Benaloh): the page shows the sealed ballot and its opening to copy or download,
//     for `asamblea verify-ballot` on the voter's own computer; that ballot is spoilt (never
//     cast, never sent) and the choice is sealed anew;
//   - change it: back to the form.
// Every text shown comes from the template (translated there); this file only fills in data.

import { b64encode, canonicalJson, openingFile, sealBallot, sealRanking, trackingCode } from "./sealing.js";

const $ = (id) => document.getElementById(id);

function readParams() {
  const block = $("seal-params");
  return block ? JSON.parse(block.textContent) : null;
}

// The name a voter saw for an answer (the template writes it on the answer's input).
function labelOf(form, value) {
  const input = form.querySelector(`[data-answer="${CSS.escape(value)}"]`);
  return input ? input.dataset.label : value;
}

// The form's marks as what sealing.js takes, or an error message id.
function readChoice(form, params) {
  const question = params.questions[0];
  if (question.kind === "ranked") {
    const ranked = [];
    question.answers.forEach((key, i) => {
      const select = form.elements.namedItem("rank_" + key);
      if (select && select.value) ranked.push([Number(select.value), i + 1]);
    });
    const ranks = ranked.map(([r]) => r);
    if (new Set(ranks).size !== ranks.length) return { error: "seal-error-duplicate" };
    ranked.sort((a, b) => a[0] - b[0]);
    const ranking = ranked.map(([, n]) => n);
    if (ranking.length > question.ranks) return { error: "seal-error-count" };
    return { ranking, readable: ranking.map((n, i) => `${i + 1}. ${labelOf(form, question.answers[n - 1])}`) };
  }
  const marked = new Set();
  for (const input of form.querySelectorAll("input[type=radio], input[type=checkbox]")) {
    if (input.checked) marked.add(input.value.trim()); // options are padded to one width
  }
  const vector = question.answers.map((a) => (marked.has(a) ? 1 : 0));
  const count = vector.reduce((a, b) => a + b, 0);
  if (count < question.min || count > question.max) return { error: "seal-error-count" };
  return { vector, readable: question.answers.filter((a) => marked.has(a)).map((a) => labelOf(form, a)) };
}

function seal(params, choice) {
  const question = params.questions[0];
  if (question.kind === "ranked") {
    const shape = { id: question.id, candidates: question.choices, ranks: question.ranks };
    const sealed = sealRanking(params.public_key, params.election, shape, choice.ranking);
    return { ...sealed, claimed: sealed.values, shape: { ranked: shape } };
  }
  const shapes = params.questions.map((q) => ({ id: q.id, choices: q.choices, min: q.min, max: q.max }));
  const sealed = sealBallot(params.public_key, params.election, shapes, [choice.vector]);
  return { ...sealed, claimed: [choice.vector], shape: { questions: shapes } };
}

// As the receipt shows a tracking code: groups of four, separated by spaces.
function grouped(code) {
  return code.match(/.{1,4}/g).join(" ");
}

function showOnly(visible) {
  for (const id of ["ballot-form", "seal-review", "seal-check"]) $(id).hidden = id !== visible;
  // Move a screen reader (and a phone's scroll) to what just appeared.
  const heading = $(visible).querySelector("h2, fieldset");
  if (heading) heading.focus({ preventScroll: false });
}

function download(link, text) {
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text + "\n"], { type: "application/json" }));
}

function start() {
  const params = readParams();
  const form = $("ballot-form");
  if (!params || !form || !globalThis.crypto?.getRandomValues) return;
  const status = $("seal-status");
  const errorBox = $("seal-error");
  let choice = null;
  let current = null;

  function labelsFor(shape) {
    const question = params.questions[0];
    const labels = question.answers.map((a) => labelOf(form, a));
    if (shape.ranked) return { ranked: { ...shape.ranked, labels } };
    return { questions: shape.questions.map((q) => ({ ...q, labels })) };
  }

  function sealAnew() {
    current = null;
    $("seal-cast").disabled = true;
    $("seal-code").textContent = "";
    status.textContent = status.dataset.sealing;
    // Let the page paint "sealing..." before the work (tens of milliseconds on a phone).
    setTimeout(() => {
      try {
        const sealed = seal(params, choice);
        const canonical = canonicalJson(sealed.ballot);
        current = { ...sealed, canonical, code: trackingCode(canonical) };
        $("seal-code").textContent = grouped(current.code);
        status.textContent = status.dataset.sealed;
        $("seal-cast").disabled = false;
      } catch (err) {
        fail(err);
      }
    }, 30);
  }

  function fail(err) {
    // Sealing failed in this browser: say so, and let the form go to the server, which seals.
    console.error(err);
    errorBox.textContent = errorBox.dataset.failed;
    errorBox.hidden = false;
    form.removeEventListener("submit", onReview);
    delete form.dataset.sealer;
    showOnly("ballot-form");
  }

  function onReview(event) {
    event.preventDefault();
    const read = readChoice(form, params);
    if (read.error) {
      errorBox.textContent = $(read.error).textContent;
      errorBox.hidden = false;
      return;
    }
    errorBox.hidden = true;
    choice = read;
    const list = $("seal-choices");
    list.replaceChildren(
      ...read.readable.map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }),
    );
    list.hidden = read.readable.length === 0;
    $("seal-blank").hidden = read.readable.length !== 0;
    showOnly("seal-review");
    sealAnew();
  }

  form.addEventListener("submit", onReview);
  // Until here a submit goes to the server, which seals: a voter who is quicker than the
  // scripts still votes. From here on the choice stays in the page.
  form.dataset.sealer = "ready";

  $("seal-cast").addEventListener("click", () => {
    if (!current) return;
    const cast = $("seal-cast-form");
    cast.elements.namedItem("sealed").value = current.canonical;
    const key = new Uint8Array(24);
    crypto.getRandomValues(key);
    cast.elements.namedItem("key").value = b64encode(key);
    $("seal-cast").disabled = true;
    current = null;
    cast.submit();
  });

  $("seal-change").addEventListener("click", () => {
    current = null;
    showOnly("ballot-form");
  });

  $("seal-check-button").addEventListener("click", () => {
    if (!current) return;
    const opening = openingFile(
      params.election,
      current.canonical,
      labelsFor(current.shape),
      current.claimed,
      current.opening,
    );
    const openingText = JSON.stringify(opening, null, 1);
    $("seal-ballot-text").value = current.canonical;
    $("seal-opening-text").value = openingText;
    download($("seal-ballot-download"), current.canonical);
    download($("seal-opening-download"), openingText);
    $("seal-check-code").textContent = grouped(current.code);
    // This ballot is spoilt: forget it; only a newly sealed one can be cast.
    current = null;
    showOnly("seal-check");
  });

  $("seal-again").addEventListener("click", () => {
    showOnly("seal-review");
    sealAnew();
  });
}

start();
