// A trustee's partial decryption in this browser, on /trustees/me/ (trustees/me.html loads this
// file when it exists). The share file is read here, with the browser's file picker, and never
// sent anywhere: only the decryption factors and their proofs are posted, as
// `asamblea trustee decrypt` posts them. The crypto is decrypting.js (checked byte for byte
// against Python by tests/unit/elections/test_browser_decrypter.py).
//
// Only the "decrypt" step is done here. The key-generation steps (certificate, polynomial,
// verification key) still need `asamblea trustee step` on the trustee's own computer.
//
// This is a classic script (the template loads it with `defer`); the crypto modules are loaded
// with import(), relative to this file's own address.
(function () {
  "use strict";
  const here = document.currentScript ? document.currentScript.src : "";
  const spanish = (document.documentElement.lang || "").toLowerCase().startsWith("es");
  // The page's template does not carry these words, so they are here in both languages.
  const TEXT = spanish
    ? {
        title: "Descifrar en este navegador",
        intro:
          "Elige tu archivo de participación: se lee en este navegador y nunca se envía. Solo se publica tu descifrado parcial, con sus pruebas.",
        file: "Tu archivo de participación",
        go: "Descifrar con mi participación",
        reading: "Leyendo tu archivo…",
        notFile: "Este archivo no es un archivo de participación de asamblea.",
        otherBoard: "Este archivo es de otra junta o de otro fideicomisario.",
        noShare: "Este archivo aún no tiene participación: termina primero la generación de la clave.",
        wrongShare: "La participación de este archivo no corresponde a tu clave de verificación publicada.",
        working: "Descifrando la solicitud {id}…",
        posted: "Publicado tu descifrado parcial de la solicitud {id} ({subject}).",
        nothing: "Ninguna solicitud espera tu descifrado.",
        failed: "No se pudo: {reason}",
      }
    : {
        title: "Decrypt in this browser",
        intro:
          "Choose your share file: it is read in this browser and never sent. Only your partial decryption, with its proofs, is posted.",
        file: "Your share file",
        go: "Decrypt with my share",
        reading: "Reading your file…",
        notFile: "This is not an asamblea share file.",
        otherBoard: "This file is for another board or another trustee.",
        noShare: "This file holds no share yet: finish the key generation first.",
        wrongShare: "The share in this file does not match your published verification key.",
        working: "Decrypting request {id}…",
        posted: "Posted your partial decryption of request {id} ({subject}).",
        nothing: "No request is waiting for your decryption.",
        failed: "It did not work: {reason}",
      };
  const say = (key, values) =>
    TEXT[key].replace(/\{(\w+)\}/g, (_, name) => String((values || {})[name]));

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function api(url, options) {
    const response = await fetch(url, { credentials: "same-origin", ...options });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.detail || `${response.status} ${url}`);
    return body;
  }

  function readFile(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsText(file);
    });
  }

  async function decrypt(params, file, report) {
    const sealer = await import(new URL("decrypting.js", here).href);
    report(say("reading"));
    let share;
    try {
      share = JSON.parse(await readFile(file));
    } catch {
      throw new Error(say("notFile"));
    }
    if (!share || share.format !== "asamblea-trustee/v1") throw new Error(say("notFile"));
    const board = await api(`${params.api}boards/${params.board}`);
    if (share.board !== board.board || share.index !== params.index) throw new Error(say("otherBoard"));
    if (!share.share) throw new Error(say("noShare"));
    const mine = board.trustees.find((t) => t.index === params.index);
    if (!mine || !mine.verification_key || !sealer.shareMatches(share, mine.verification_key.public)) {
      throw new Error(say("wrongShare"));
    }
    const pending = await api(`${params.api}requests?board=${params.board}&state=pending`);
    let done = 0;
    for (const summary of pending) {
      if (summary.posted.includes(params.index)) continue;
      report(say("working", { id: summary.id }));
      const request = await api(`${params.api}requests/${summary.id}`);
      // Let the page show the message before the work.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const body = sealer.partialsFor(share, request.public_key, request.groups);
      await api(`${params.api}requests/${summary.id}/partial`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      });
      report(say("posted", { id: summary.id, subject: summary.subject }), true);
      done += 1;
    }
    if (!done) report(say("nothing"), true);
  }

  function panel(params) {
    const box = document.createElement("div");
    box.className = "trustee-browser";
    const title = document.createElement("h3");
    title.textContent = say("title");
    const intro = document.createElement("p");
    intro.textContent = say("intro");
    const label = document.createElement("label");
    label.textContent = say("file") + " ";
    const input = document.createElement("input");
    input.type = "file";
    input.accept = ".json,application/json";
    input.className = "trustee-share-file";
    label.append(input);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = say("go");
    button.className = "trustee-decrypt";
    const log = document.createElement("ul");
    log.className = "trustee-log";
    log.setAttribute("role", "status");
    const report = (text, keep) => {
      if (log.lastChild && log.lastChild.dataset.transient) log.lastChild.remove();
      const li = document.createElement("li");
      li.textContent = text;
      if (!keep) li.dataset.transient = "1";
      log.append(li);
    };
    button.addEventListener("click", async () => {
      const file = input.files && input.files[0];
      if (!file) return input.focus();
      button.disabled = true;
      try {
        await decrypt(params, file, report);
      } catch (err) {
        report(say("failed", { reason: err.message }), true);
      } finally {
        input.value = "";
        button.disabled = false;
      }
    });
    const p1 = document.createElement("p");
    p1.append(label);
    const p2 = document.createElement("p");
    p2.append(button);
    box.append(title, intro, p1, p2, log);
    return box;
  }

  for (const block of document.querySelectorAll("script[type='application/json'][id^='trustee-params-']")) {
    let params;
    try {
      params = JSON.parse(block.textContent);
    } catch {
      continue;
    }
    if (!params.steps || !params.steps.includes("decrypt")) continue;
    block.after(panel(params));
  }
})();
