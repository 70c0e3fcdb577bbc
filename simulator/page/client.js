// The simulator page: sends what the user types to the page server, which plays WeCom's part,
// and shows the entries it streams back (server-sent events). Text is always set as text; only
// `entry.html` (markdown escaped and rendered by the server) is set as HTML.

const $ = (id) => document.getElementById(id);
const OTHER_USER = '__other__';

const state = {
  info: undefined,
  entries: new Map(),
  chat: 'single',
  /** Private chats already opened, so the app's enter_agent event (or 微信客服's enter_session) is sent once per user. */
  entered: new Set(),
};

function currentUser() {
  return $('user').value === OTHER_USER ? $('custom-user').value.trim() : $('user').value;
}

function chatKey() {
  if (state.chat === 'kf') return `kf:${currentUser()}`;
  return state.chat === 'group' ? `group:${$('chat-id').value.trim()}` : `single:${currentUser()}`;
}

/** The people of the "You are" list: WeCom members, or in the 微信客服 chat WeChat customers. */
function fillUsers() {
  const { info } = state;
  const options =
    state.chat === 'kf'
      ? info.customers.map((customer) => el('option', { value: customer.id, textContent: `${customer.nickname} (${customer.id})` }))
      : info.users.map((user) => el('option', { value: user, textContent: user }));
  $('user').replaceChildren(
    ...options,
    el('option', { value: OTHER_USER, textContent: state.chat === 'kf' ? 'other customer…' : 'other user…' }),
  );
  $('custom-user').classList.add('hidden');
}

function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

async function api(path, init) {
  const response = await fetch(path, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

function setStatus(text) {
  $('status').textContent = text;
}

function whitelisted(chatId) {
  const { groupWhiteList, groups } = state.info;
  const name = groups.find((group) => group.chatId === chatId)?.name;
  return groupWhiteList.includes('ALL_GROUP') || groupWhiteList.includes(chatId) || (name !== undefined && groupWhiteList.includes(name));
}

function renderHeader() {
  const { info } = state;
  const user = currentUser();
  if (state.chat === 'kf') {
    $('chat-title').textContent = `${user}: WeChat customer of ${info.kfAccount} (微信客服)`;
    $('chat-hint').textContent =
      'WeCom only tells the bot that something is new (kf_msg_or_event); the bot pulls it with kf/sync_msg and answers through kf/send_msg. "转人工" hands the session to a human; while the servicer has it, the bot stays silent.';
  } else if (state.chat === 'group') {
    const chatId = $('chat-id').value.trim();
    const name = info.groups.find((group) => group.chatId === chatId)?.name;
    $('chat-title').textContent = name ? `${name} (group)` : `group ${chatId}`;
    $('chat-hint').textContent = whitelisted(chatId)
      ? `In group_name_white_list. WeCom gives the AI bot only messages that @-mention it: start with "@${info.botName} ". ${info.botMode === 'websocket' ? "Answers stream in over the bot's long connection." : 'Answers stream in as WeCom polls.'}`
      : `Not in group_name_white_list: the bot stays silent here. Send "@${info.botName} #chatid" to learn the id to whitelist.`;
  } else {
    const prefixes = info.singlePrefixes.map((prefix) => JSON.stringify(prefix)).join(', ');
    $('chat-title').textContent = `${user}: private chat with the app`;
    const voice = info.offline
      ? 'Voice notes are sent, but offline nothing transcribes them (a note says so).'
      : 'Voice notes are transcribed.';
    $('chat-hint').textContent =
      `single_chat_prefix [${prefixes}]${info.singlePrefixes.includes('') ? ': every message is answered' : ''}. ${voice}`;
  }
  for (const id of ['voice-label', 'image-label']) {
    const textOnly = state.chat !== 'single';
    $(id).classList.toggle('disabled', textOnly);
    $(id).title =
      state.chat === 'group'
        ? 'In groups the AI bot receives text only'
        : state.chat === 'kf'
          ? 'The simulated WeChat customer sends text'
          : $(id).dataset.title;
  }
}

function renderFacts() {
  const { info } = state;
  const facts = [
    ['corp id', info.corpId],
    ['agent id', info.agentId],
    ['token', info.token],
    ['EncodingAESKey', info.aesKey],
    ['app callback', info.appCallbackUrl],
    info.botMode === 'websocket' ? ['AI bot long connection', info.botWsUrl] : ['AI bot callback', info.botCallbackUrl],
    ['fake WeCom API', info.apiBase],
  ];
  $('facts').replaceChildren(...facts.flatMap(([term, value]) => [el('dt', { textContent: term }), el('dd', { textContent: value })]));
}

function mediaNode(item) {
  if (item.type === 'image') return el('img', { src: item.url, alt: 'image' });
  if (item.type === 'audio') return el('audio', { src: item.url, controls: true, preload: 'none' });
  return el('a', { href: item.url, textContent: item.name ?? 'file', download: item.name ?? '' });
}

function entryNode(entry) {
  const bot = entry.chat.startsWith('group:') ? `@${state.info.botName}` : entry.chat.startsWith('kf:') ? state.info.kfAccount : 'app';
  const who = entry.from === 'user' ? entry.user : entry.from === 'bot' ? bot : entry.from === 'servicer' ? `${entry.user} (servicer)` : '';
  const time = new Date(entry.at).toLocaleTimeString();
  const kind = entry.kind === 'text' || entry.kind === 'note' ? '' : entry.kind;
  const meta = el(
    'div',
    { className: 'meta' },
    entry.from === 'note' ? [] : [`${who} · ${time}`, ...(kind ? [el('span', { className: 'kind', textContent: kind })] : [])],
  );

  const bubble = el('div', { className: 'bubble' });
  if (entry.html !== undefined) {
    bubble.classList.add('markdown');
    bubble.innerHTML = entry.html;
  } else if (entry.kind !== 'image' && entry.kind !== 'voice') {
    bubble.textContent = entry.text;
  }
  if (entry.streaming && !entry.text) bubble.textContent = 'typing';
  for (const item of entry.media ?? []) bubble.append(mediaNode(item));

  const children = [meta, bubble];
  if (entry.raw.length > 0) {
    const parts = entry.raw.flatMap((payload) => [el('h4', { textContent: payload.label }), el('pre', { textContent: payload.content })]);
    children.push(el('details', { className: 'payloads' }, [el('summary', { textContent: `payloads (${entry.raw.length})` }), ...parts]));
  }
  const classes = ['msg', `from-${entry.from}`, entry.from === 'note' ? 'note' : '', entry.streaming ? 'streaming' : ''].filter(Boolean);
  const node = el('li', { className: classes.join(' ') }, children);
  node.dataset.id = entry.id;
  node.dataset.kind = entry.kind;
  return node;
}

function showEntry(entry) {
  if (entry.chat !== chatKey()) return;
  const list = $('messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const old = list.querySelector(`[data-id="${entry.id}"]`);
  const node = entryNode(entry);
  // Keep an opened payload view open while a stream grows.
  if (old?.querySelector('details[open]')) node.querySelector('details')?.setAttribute('open', '');
  if (old) old.replaceWith(node);
  else list.append(node);
  if (nearBottom || !old) list.scrollTop = list.scrollHeight;
}

function renderChat() {
  renderHeader();
  $('messages').replaceChildren();
  for (const entry of state.entries.values()) showEntry(entry);
  const opened = `${state.chat}:${currentUser()}`;
  if (state.chat !== 'group' && currentUser() && !state.entered.has(opened)) {
    state.entered.add(opened);
    const path = state.chat === 'kf' ? '/api/kf/enter' : '/api/enter';
    void api(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: currentUser() }),
    }).catch((error) => setStatus(error.message));
  }
}

function appendLog(line) {
  const log = $('log');
  log.textContent += `${line}\n`;
  if (log.textContent.length > 200_000) log.textContent = log.textContent.slice(-150_000);
  log.scrollTop = log.scrollHeight;
}

function connect() {
  const events = new EventSource('/api/events');
  // On every (re)connection: the whole history, then the live feed.
  events.addEventListener('open', async () => {
    const history = await api('/api/history');
    state.entries = new Map(history.entries.map((entry) => [entry.id, entry]));
    $('log').textContent = '';
    history.log.forEach(appendLog);
    renderChat();
  });
  events.addEventListener('message', (message) => {
    const event = JSON.parse(message.data);
    if (event.type === 'entry') {
      state.entries.set(event.entry.id, event.entry);
      showEntry(event.entry);
    } else if (event.type === 'log') {
      appendLog(event.line);
    }
  });
}

async function send(event) {
  event.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  setStatus('');
  try {
    const asServicer = state.chat === 'kf' && $('as-servicer').checked;
    await api(asServicer ? '/api/kf/servicer' : '/api/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: currentUser(), chat: state.chat, chatId: $('chat-id').value.trim(), text }),
    });
    $('text').value = '';
  } catch (error) {
    setStatus(error.message);
  }
}

async function upload(kind, input) {
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  setStatus(kind === 'voice' ? 'converting to AMR…' : '');
  try {
    await api(`/api/${kind}?user=${encodeURIComponent(currentUser())}`, {
      method: 'POST',
      headers: { 'content-type': file.type || 'application/octet-stream' },
      body: file,
    });
    setStatus('');
  } catch (error) {
    setStatus(error.message);
  }
}

async function main() {
  state.info = await api('/api/info');
  const { info } = state;
  $('llm').textContent = `answers: ${info.llm}`;
  $('llm').classList.toggle('offline', info.offline);
  fillUsers();
  $('chat-id').value = info.groups[0]?.chatId ?? '';
  $('known-groups').replaceChildren(...info.groups.map((group) => el('option', { value: group.chatId, label: group.name })));
  renderFacts();
  for (const id of ['voice-label', 'image-label']) $(id).dataset.title = $(id).title;

  $('user').addEventListener('change', () => {
    $('custom-user').classList.toggle('hidden', $('user').value !== OTHER_USER);
    renderChat();
  });
  $('custom-user').addEventListener('change', renderChat);
  $('chat-id').addEventListener('change', renderChat);
  for (const radio of document.querySelectorAll('input[name=chat]')) {
    radio.addEventListener('change', () => {
      state.chat = radio.value;
      $('group-settings').classList.toggle('hidden', state.chat !== 'group');
      $('kf-settings').classList.toggle('hidden', state.chat !== 'kf');
      fillUsers();
      $('text').placeholder = state.chat === 'group' ? `@${info.botName} your question` : 'Type a message';
      renderChat();
    });
  }
  $('composer').addEventListener('submit', send);
  $('end-session').addEventListener('click', () => {
    void api('/api/kf/end', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: currentUser() }),
    }).catch((error) => setStatus(error.message));
  });
  $('voice').addEventListener('change', () => upload('voice', $('voice')));
  $('image').addEventListener('change', () => upload('image', $('image')));
  renderHeader();
  connect();
}

void main();
