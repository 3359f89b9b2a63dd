// Upload of a whole visit: several clips at once, each with its task and optional view, with
// per-clip progress (upload, then scoring), then the visit's page.

import { $, api, esc, postForm, sleep, taskLabel, viewLabel, vocabulary } from "./util.js";

const clips = [];  // {file, id}
let nextId = 0;

function options(values, label, chosen) {
  return values.map((v) => `<option value="${esc(v)}"${v === chosen ? " selected" : ""}>${esc(label(v))}</option>`).join("");
}

async function addFiles(fileList) {
  const { tasks, views } = await vocabulary;
  for (const file of fileList) {
    const id = nextId++;
    clips.push({ file, id });
    const row = document.createElement("tr");
    row.id = `clip-${id}`;
    row.innerHTML = `<td>${esc(file.name)}</td>
      <td><label class="sr" for="clip-${id}-task">Task of ${esc(file.name)}</label>
        <select id="clip-${id}-task" class="clip-task">${options(tasks, taskLabel, "walk_forward")}</select></td>
      <td><label class="sr" for="clip-${id}-view">Camera view of ${esc(file.name)}</label>
        <select id="clip-${id}-view" class="clip-view">${options(["", ...views], viewLabel, "")}</select></td>
      <td><progress id="clip-${id}-progress" max="1" value="0" aria-label="Progress of ${esc(file.name)}"></progress>
        <span id="clip-${id}-state" class="note">chosen</span></td>
      <td><button type="button" class="remove" aria-label="Remove ${esc(file.name)}">Remove</button></td>`;
    row.querySelector(".remove").onclick = () => {
      clips.splice(clips.findIndex((c) => c.id === id), 1);
      row.remove();
      $("clips").hidden = clips.length === 0;
    };
    $("clips").tBodies[0].append(row);
  }
  $("clips").hidden = clips.length === 0;
}

function show(id, state, progress) {
  $(`clip-${id}-state`).textContent = state;
  if (progress !== undefined) $(`clip-${id}-progress`).value = progress;
}

async function uploadClip(clip, visit) {
  const form = new FormData();
  form.append("video", clip.file);
  form.append("patient", visit.patient);
  form.append("session", visit.session);
  form.append("phase", visit.phase);
  form.append("task", $(`clip-${clip.id}-task`).value);
  const view = $(`clip-${clip.id}-view`).value;
  if (view) form.append("view", view);
  show(clip.id, "uploading", 0);
  const accepted = await postForm("/v1/jobs", form, (f) => show(clip.id, `uploading ${Math.round(100 * f)} %`, f));
  show(clip.id, "queued", 0);
  return accepted.job_id;
}

async function followJobs(jobs) {  // [{clip, jobId}] until every job is done or failed
  let open = jobs.slice();
  while (open.length) {
    await sleep(1000);
    const states = await Promise.all(open.map(({ jobId }) => api(`/v1/jobs/${jobId}`)));
    states.forEach((s, i) => show(open[i].clip.id, s.status === "failed" ? `failed: ${s.error}` :
      s.status === "done" ? "done" : `${s.status} (${s.stage})`, s.progress));
    open = open.filter((_, i) => !["done", "failed"].includes(states[i].status));
  }
}

export function setupUpload(openVisit) {
  $("files").onchange = () => { addFiles([...$("files").files]); $("files").value = ""; };
  const zone = $("drop");
  zone.ondragover = (e) => { e.preventDefault(); zone.classList.add("over"); };
  zone.ondragleave = () => zone.classList.remove("over");
  zone.ondrop = (e) => { e.preventDefault(); zone.classList.remove("over"); addFiles([...e.dataTransfer.files]); };

  $("upload").onsubmit = async (e) => {
    e.preventDefault();
    if (!clips.length) { $("status").innerHTML = '<p class="error" role="alert">Choose the visit\'s videos.</p>'; return; }
    const visit = { patient: $("patient").value.trim(), session: $("session").value.trim(), phase: $("phase").value };
    const fieldsets = $("upload").querySelectorAll("fieldset, #submit");
    fieldsets.forEach((f) => { f.disabled = true; });
    $("status").textContent = `Uploading ${clips.length} clips...`;
    try {
      const jobs = [];
      for (const clip of clips) jobs.push({ clip, jobId: await uploadClip(clip, visit) });
      $("status").textContent = "Scoring...";
      await followJobs(jobs);
      $("status").textContent = "Visit scored.";
      clips.splice(0).forEach((c) => $(`clip-${c.id}`).remove());
      $("clips").hidden = true;
      openVisit(visit);
    } catch (err) {
      $("status").innerHTML = `<p class="error" role="alert" id="error">${esc(err.message)}</p>`;
    } finally {
      fieldsets.forEach((f) => { f.disabled = false; });
    }
  };
}
