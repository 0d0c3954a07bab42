/** The dev phone's page: the person's phone on the left, the worker's room on the right. */
export const DEV_PHONE_PAGE = `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lien – téléphone de démonstration</title>
<link rel="icon" href="data:,">
<style>
  :root { font-family: system-ui, sans-serif; color: #1c1c1c; background: #f3f1ec; }
  body { margin: 0; padding: 1rem; }
  h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
  p.note { margin: 0 0 1rem; color: #555; font-size: .9rem; }
  main { display: grid; grid-template-columns: minmax(280px, 380px) 1fr; gap: 1.5rem; align-items: start; }
  section { background: #fff; border-radius: 14px; box-shadow: 0 1px 4px #0002; display: flex; flex-direction: column; height: 75vh; }
  header { padding: .75rem 1rem; border-bottom: 1px solid #ddd; font-weight: 600; }
  header small { display: block; font-weight: 400; color: #666; }
  ol { list-style: none; margin: 0; padding: 1rem; overflow-y: auto; flex: 1; display: flex; flex-direction: column; gap: .5rem; }
  li { max-width: 85%; padding: .5rem .75rem; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
  #phone li.inbound { align-self: flex-end; background: #2f6fde; color: #fff; }
  #phone li.outbound { align-self: flex-start; background: #e9e9eb; }
  #room li { align-self: stretch; max-width: none; background: #f6f6f6; }
  #room li.mine { background: #e3f0e6; }
  #room li.notice { background: #fff7df; font-style: italic; }
  li .meta { display: block; font-size: .75rem; opacity: .75; margin-top: .2rem; }
  form { display: flex; gap: .5rem; padding: .75rem; border-top: 1px solid #ddd; }
  textarea { flex: 1; resize: none; font: inherit; padding: .5rem; border-radius: 8px; border: 1px solid #bbb; }
  button { font: inherit; padding: .5rem 1rem; border-radius: 8px; border: 0; background: #1f5135; color: #fff; cursor: pointer; }
  .error { color: #a00; padding: 0 1rem .5rem; min-height: 1.2em; font-size: .9rem; }
</style>
</head>
<body>
<h1>Lien – téléphone de démonstration</h1>
<p class="note">Développement seulement : à gauche, le téléphone de la personne (SMS) ; à droite, la salle Matrix de sa référente.</p>
<main>
  <section aria-label="Téléphone de la personne">
    <header id="phone-title">Téléphone<small id="phone-number"></small></header>
    <ol id="phone" aria-live="polite"></ol>
    <div class="error" id="phone-error" role="alert"></div>
    <form id="sms-form"><label for="sms-text" hidden>SMS</label><textarea id="sms-text" rows="2" placeholder="Écrire un SMS…"></textarea><button type="submit">Envoyer le SMS</button></form>
  </section>
  <section aria-label="Salle de la référente">
    <header id="room-title">Salle Matrix<small id="room-worker"></small></header>
    <ol id="room" aria-live="polite"></ol>
    <div class="error" id="room-error" role="alert"></div>
    <form id="reply-form"><label for="reply-text" hidden>Réponse</label><textarea id="reply-text" rows="2" placeholder="Répondre à la personne…"></textarea><button type="submit">Répondre</button></form>
  </section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const time = (t) => new Date(t).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });
const STATUS = { pending: 'en attente', sending: 'envoi…', sent: 'envoyé', delivered: 'reçu', failed: 'non remis' };
async function api(path, body) {
  const res = await fetch('/dev/phone/api/' + path, body ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ body }) } : {});
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ? data.error.message : 'HTTP ' + res.status);
  return data;
}
function render(list, items, make) {
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 10;
  list.replaceChildren(...items.map(make));
  if (atBottom) list.scrollTop = list.scrollHeight;
}
function bubble(cls, text, meta) {
  const li = document.createElement('li');
  li.className = cls;
  li.textContent = text;
  const m = document.createElement('span');
  m.className = 'meta';
  m.textContent = meta;
  li.append(m);
  return li;
}
async function refresh() {
  try {
    const t = await api('thread');
    render($('phone'), t.messages, (m) => bubble(m.direction, m.body, time(m.at) + (m.direction === 'inbound' ? '' : ' · ' + (STATUS[m.status] || m.status))));
    $('phone-error').textContent = '';
  } catch (e) { $('phone-error').textContent = e.message; }
  try {
    const r = await api('room');
    render($('room'), r.events, (e) => bubble((e.mine ? 'mine ' : '') + (e.msgtype === 'm.notice' ? 'notice' : ''), e.body, time(e.at) + ' · ' + e.sender + (e.reactions.length ? ' · ' + e.reactions.join(' ') : '')));
    $('room-error').textContent = '';
  } catch (e) { $('room-error').textContent = e.message; }
}
function wire(formId, textId, path, errorId) {
  $(formId).addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = $(textId).value;
    try { await api(path, text); $(textId).value = ''; $(errorId).textContent = ''; await refresh(); }
    catch (e) { $(errorId).textContent = e.message; }
  });
}
wire('sms-form', 'sms-text', 'sms', 'phone-error');
wire('reply-form', 'reply-text', 'reply', 'room-error');
api('info').then((i) => {
  $('phone-title').firstChild.textContent = 'Téléphone de ' + i.personName;
  $('phone-number').textContent = i.personPhone + ' → service ' + i.serviceNumber;
  $('room-worker').textContent = 'vue de ' + i.worker + ' (' + i.workerId + ')';
});
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
