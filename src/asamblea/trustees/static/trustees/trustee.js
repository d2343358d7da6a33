// A trustee's steps in this browser, on /trustees/me/ (trustees/me.html loads this
// file when it exists). The share file is read here, with the browser's file picker, and never
// sent anywhere: only the decryption factors and their proofs are posted, as
// `asamblea trustee decrypt` posts them. The crypto is decrypting.js (checked byte for byte
// against Python by tests/unit/elections/test_browser_decrypter.py).
//
// The key-generation steps (certificate, polynomial, verification key; keygen.js) are done here
// too: the updated share file is offered for saving BEFORE its message can be sent, as
// `asamblea trustee step` writes the file before sending. The share's paper backup is shown
// to print (keygen.js paperBackup, the same text as `asamblea trustee backup`). A new trustee of
// a reshared board gets their share here too; an old trustee's dealing still needs the command
// line (the page does not carry the new board's number).
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
        stepTitle: "Hacer este paso en este navegador",
        stepIntro:
          "Tu archivo de participación se guarda en tu computadora y nunca se envía. Para el primer paso no hace falta archivo: se crea uno nuevo.",
        prepare: "Preparar mi paso",
        save: "Guarda tu archivo de participación ahora (reemplaza al anterior): sin él no puedes hacer los pasos siguientes ni descifrar.",
        download: "Guardar {file}",
        send: "Ya lo guardé: enviar",
        sent: "Enviado: {step}.",
        waiting: "Aún faltan los fideicomisarios {who} en el paso anterior. Vuelve más tarde.",
        waitingDealing: "Aún no han repartido sus participaciones suficientes fideicomisarios de la junta anterior. Vuelve más tarde.",
        ready: "La junta está lista: tu archivo tiene tu participación. Imprime su copia en papel con: asamblea trustee backup --share ARCHIVO",
        needFile: "Elige el archivo de participación que guardaste en el paso anterior.",
        certificate: "tu certificado",
        polynomial: "tu polinomio",
        verification_key: "tu clave de verificación",
        backupTitle: "Copia en papel de tu participación",
        backupIntro:
          "Elige tu archivo de participación para ver su copia en papel; imprímela y guárdala aparte. Se lee aquí y nunca se envía. Se recupera con: asamblea trustee restore",
        backupShow: "Mostrar la copia en papel",
        print: "Imprimir",
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
        stepTitle: "Do this step in this browser",
        stepIntro:
          "Your share file is saved on your computer and never sent. The first step needs no file: a new one is made.",
        prepare: "Prepare my step",
        save: "Save your share file now (it replaces the one you had): without it you can do neither the next steps nor any decryption.",
        download: "Save {file}",
        send: "I have saved it: send",
        sent: "Sent: {step}.",
        waiting: "Trustees {who} have not finished the previous step yet. Come back later.",
        waitingDealing: "Not enough trustees of the old board have dealt their shares yet. Come back later.",
        ready: "The board is ready: your file holds your share. Print its paper backup with: asamblea trustee backup --share FILE",
        needFile: "Choose the share file you saved at the previous step.",
        certificate: "your certificate",
        polynomial: "your polynomial",
        verification_key: "your verification key",
        backupTitle: "Paper backup of your share",
        backupIntro:
          "Choose your share file to see its paper backup; print it and keep it apart. It is read here and never sent. It is restored with: asamblea trustee restore",
        backupShow: "Show the paper backup",
        print: "Print",
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

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // A key-generation step: load the share file (none for the certificate), compute the next
  // message, have the trustee save the updated file, and only then send the message.
  function stepPanel(params) {
    const box = element("div", "trustee-browser");
    const input = element("input", "trustee-share-file");
    input.type = "file";
    input.accept = ".json,application/json";
    const label = element("label", "", say("file") + " ");
    label.append(input);
    const prepare = element("button", "trustee-prepare", say("prepare"));
    prepare.type = "button";
    const saveBox = element("p", "trustee-save");
    saveBox.hidden = true;
    const link = element("a", "trustee-download");
    const send = element("button", "trustee-send", say("send"));
    send.type = "button";
    send.disabled = true;
    saveBox.append(element("span", "", say("save") + " "), link, element("br"), send);
    const log = element("ul", "trustee-log");
    log.setAttribute("role", "status");
    const report = (text) => log.append(element("li", "", text));
    let pending = null;

    prepare.addEventListener("click", async () => {
      prepare.disabled = true;
      try {
        const keygen = await import(new URL("keygen.js", here).href);
        const board = await api(`${params.api}boards/${params.board}`);
        const file = input.files && input.files[0];
        let share;
        if (file) {
          share = JSON.parse(await readFile(file));
          if (!share || share.format !== keygen.FORMAT || share.index !== params.index) throw new Error(say("otherBoard"));
        } else if (params.steps.includes("certificate")) {
          share = keygen.newShareFile(board, params.index);
        } else {
          throw new Error(say("needFile"));
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        const next = keygen.nextStep(board, share);
        if (next.waitingStep === "dealing") return report(say("waitingDealing"));
        if (next.waiting) return report(say("waiting", { who: next.waiting.join(", ") }));
        const name = `trustee-${params.board}-${params.index}.json`;
        if (link.href) URL.revokeObjectURL(link.href);
        link.href = URL.createObjectURL(new Blob([JSON.stringify(share, null, 2) + "\n"], { type: "application/json" }));
        link.download = name;
        link.textContent = say("download", { file: name });
        if (next.done) return report(say("ready"));
        pending = next;
        saveBox.hidden = false;
      } catch (err) {
        report(say("failed", { reason: err.message }));
      } finally {
        prepare.disabled = false;
        input.value = "";
      }
    });
    link.addEventListener("click", () => {
      send.disabled = !pending;
    });
    send.addEventListener("click", async () => {
      if (!pending) return;
      send.disabled = true;
      try {
        await api(`${params.api}boards/${params.board}/${pending.step}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify(pending.message),
        });
        report(say("sent", { step: say(pending.step) }));
        pending = null;
        saveBox.hidden = true;
      } catch (err) {
        send.disabled = false;
        report(say("failed", { reason: err.message }));
      }
    });
    const p1 = element("p");
    p1.append(label);
    const p2 = element("p");
    p2.append(prepare);
    box.append(element("h3", "", say("stepTitle")), element("p", "", say("stepIntro")), p1, p2, saveBox, log);
    return box;
  }

  // The share's paper backup, from the share file, shown on this page to print (never sent).
  function backupPanel() {
    const box = element("details", "trustee-backup");
    const input = element("input", "trustee-backup-file");
    input.type = "file";
    input.accept = ".json,application/json";
    const label = element("label", "", say("file") + " ");
    label.append(input);
    const show = element("button", "trustee-backup-show", say("backupShow"));
    show.type = "button";
    const out = element("pre", "trustee-backup-text");
    out.hidden = true;
    // A line (36 characters) fits a phone's width unbroken; set through the CSSOM, which the
    // CSP allows (an inline style attribute it would refuse).
    out.style.fontSize = "0.8rem";
    out.style.whiteSpace = "pre";
    out.style.overflowX = "auto";
    const print = element("button", "trustee-print", say("print"));
    print.type = "button";
    print.hidden = true;
    const log = element("p", "trustee-log");
    show.addEventListener("click", async () => {
      const file = input.files && input.files[0];
      if (!file) return input.focus();
      try {
        const keygen = await import(new URL("keygen.js", here).href);
        const share = JSON.parse(await readFile(file));
        if (!share || share.format !== keygen.FORMAT) throw new Error(say("notFile"));
        out.textContent = keygen.paperBackup(share);
        out.hidden = print.hidden = false;
        log.textContent = "";
      } catch (err) {
        log.textContent = say("failed", { reason: err.message });
      } finally {
        input.value = "";
      }
    });
    print.addEventListener("click", () => window.print());
    const p1 = element("p");
    p1.append(label);
    const p2 = element("p");
    p2.append(show);
    box.append(element("summary", "", say("backupTitle")), element("p", "", say("backupIntro")), p1, p2, out, print, log);
    return box;
  }

  for (const block of document.querySelectorAll("script[type='application/json'][id^='trustee-params-']")) {
    let params;
    try {
      params = JSON.parse(block.textContent);
    } catch {
      continue;
    }
    if (!params.steps) continue;
    block.after(backupPanel());
    if (params.steps.includes("decrypt")) block.after(panel(params));
    else if (params.steps.some((s) => ["certificate", "polynomial", "verification_key"].includes(s))) {
      block.after(stepPanel(params));
    }
  }
})();
