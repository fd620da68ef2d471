// The sandbox console: a Slack-like window onto the emulated workspace plus the simulated fleet.
// The server streams the whole sandbox state over SSE; this page keeps only UI state (who is acting,
// which channel and thread are open) and turns gestures into POSTs the server makes into signed
// Slack requests to the app.
import { adoptHandlers, collectInputValues, h, mrkdwn, renderBlocks, textObject } from './blocks.js';
import morphdom from './morphdom.js';

const ui = {
  user: localStorage.getItem('sandbox.user') ?? null,
  channel: localStorage.getItem('sandbox.channel') ?? null,
  surface: 'channel', // or 'home'
  threadTs: null,
  /** Modals the user closed with Cancel (Slack would send view_closed; the app does not need it). */
  dismissed: new Set(),
  modalKey: null,
  metricsReachable: true,
};
let state = null;

const $ = (id) => document.getElementById(id);

// ── server ─────────────────────────────────────────────────────────────────────────────────────

async function send(path, body) {
  try {
    const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!answer.ok) toast(answer.error ?? `the app answered ${answer.status}: ${JSON.stringify(answer.answer)}`);
    return answer;
  } catch (error) {
    toast(`the sandbox did not answer: ${error.message}`);
    return { ok: false };
  }
}

function connect() {
  const events = new EventSource('/sandbox/events');
  events.addEventListener('open', () => setConnection('live', true));
  events.addEventListener('error', () => setConnection('reconnecting…', false));
  events.addEventListener('state', (event) => {
    state = JSON.parse(event.data);
    renderUnlessPressing();
  });
  events.addEventListener('tick', (event) => renderClock(JSON.parse(event.data).now));
}

/**
 * A state push that arrives while a mouse button or finger is down waits for its release: content
 * that grows or scrolls under a press moves the button away between press and release, and the
 * browser then sends the click to no button at all.
 */
const press = { down: false, renderWaiting: false };

function renderUnlessPressing() {
  if (press.down) press.renderWaiting = true;
  else render();
}

function releasePress() {
  press.down = false;
  if (!press.renderWaiting) return;
  press.renderWaiting = false;
  // After the click this release produces has been dispatched, which happens in this same task.
  setTimeout(render, 0);
}

document.addEventListener('pointerdown', () => (press.down = true), true);
document.addEventListener('pointerup', releasePress, true);
document.addEventListener('pointercancel', releasePress, true);

function setConnection(text, live) {
  const element = $('connection');
  element.textContent = text;
  element.classList.toggle('live', live);
}

// ── helpers ────────────────────────────────────────────────────────────────────────────────────

function usersById() {
  return Object.fromEntries([...(state?.users ?? []), { id: state?.botUserId, name: 'Durable Delivery' }].map((user) => [user.id, user]));
}

function displayName(userId) {
  const user = state.users.find((candidate) => candidate.id === userId);
  return user ? user.name : 'Durable Delivery';
}

function isBot(userId) {
  return !state.users.some((user) => user.id === userId);
}

function formatTs(ts) {
  return new Date(Number(ts) * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function currentChannel() {
  return state.channels.find((channel) => channel.id === ui.channel || channel.name === ui.channel);
}

/**
 * Puts `children` into `container` by changing the DOM in place (morphdom, matching elements by
 * data-key): what stays keeps its identity, so a click that lands while a state push re-renders the
 * page reaches the button it was aimed at instead of a node just thrown away.
 */
function patch(container, ...children) {
  const next = container.cloneNode(false);
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== '') next.append(child);
  morphdom(container, next, {
    childrenOnly: true,
    getNodeKey: (node) => node.dataset?.key || node.id || undefined,
    onBeforeElUpdated: (kept, fresh) => {
      adoptHandlers(kept, fresh);
      return true;
    },
  });
}

function toast(text) {
  const element = $('toast');
  element.textContent = text;
  element.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (element.hidden = true), 6000);
}

// ── actions ────────────────────────────────────────────────────────────────────────────────────

function actionHandler(target) {
  return (element, _block, value) => {
    const click = () => send('/sandbox/click', { user: ui.user, target, actionId: element.action_id, ...(value === undefined ? {} : { value }) });
    if (element.confirm) confirmDialog(element.confirm, click);
    else click();
  };
}

function confirmDialog(confirm, onConfirm) {
  const overlay = $('confirm-overlay');
  const context = { users: usersById() };
  const close = () => {
    overlay.hidden = true;
    overlay.replaceChildren();
  };
  overlay.replaceChildren(
    h(
      'div',
      { class: 'dialog confirm' },
      h('div', { class: 'dialog-title' }, textObject(confirm.title ?? { type: 'plain_text', text: 'Are you sure?' }, context)),
      h('div', { class: 'dialog-body' }, textObject(confirm.text, context)),
      h(
        'div',
        { class: 'dialog-buttons' },
        h('button', { class: 'sk-button', type: 'button', 'data-testid': 'confirm-no', onclick: close }, confirm.deny?.text ?? 'Cancel'),
        h(
          'button',
          {
            class: `sk-button ${confirm.style === 'danger' ? 'danger' : 'primary'}`,
            type: 'button',
            'data-testid': 'confirm-yes',
            onclick: () => {
              close();
              onConfirm();
            },
          },
          confirm.confirm?.text ?? 'Yes',
        ),
      ),
    ),
  );
  overlay.hidden = false;
}

// ── rendering ──────────────────────────────────────────────────────────────────────────────────

function render() {
  if (!state) return;
  if (!ui.user || !state.users.some((user) => user.id === ui.user)) ui.user = state.users[0]?.id ?? null;
  if (!currentChannel()) {
    const preferred = state.channels.find((channel) => channel.name === state.defaultChannel) ?? state.channels.find((channel) => !channel.isDm);
    ui.channel = preferred?.id ?? null;
  }
  renderClock(state.now);
  renderUsers();
  renderSidebar();
  if (ui.surface === 'home') renderHome();
  else renderChannel();
  renderThread();
  renderModal();
  renderFleet();
  renderGameDay();
  renderViolations();
}

function renderViolations() {
  const badge = $('violations');
  const { count, latest } = state.violations;
  badge.hidden = count === 0;
  badge.textContent = `⚠️ ${count} call${count === 1 ? '' : 's'} Slack would refuse`;
  badge.title = latest.map((violation) => `${violation.method}: ${violation.error} — ${violation.problems.join('; ')}`).join('\n');
}

function renderClock(now) {
  if (!state) return;
  const time = new Date(now).toISOString().replace('T', ' ').slice(0, 19);
  $('clock').textContent = `sandbox time ${time} UTC${state.speed > 1 ? ` · ${state.speed}× speed` : ''}`;
}

function renderUsers() {
  const select = $('user-switcher');
  const wanted = state.users.map((user) => `${user.id}:${user.name}`).join(',');
  if (select.dataset.users !== wanted) {
    select.replaceChildren(...state.users.map((user) => h('option', { value: user.id }, `${user.name} (${user.role})`)));
    select.dataset.users = wanted;
  }
  select.value = ui.user;
}

function renderSidebar() {
  const list = $('channel-list');
  patch(
    list,
    ...state.channels
      .filter((channel) => !channel.isDm || channel.id === `D${ui.user?.slice(1)}`)
      .map((channel) => {
        const active = ui.surface === 'channel' && channel.id === ui.channel;
        return h(
          'li',
          { dataset: { key: channel.id } },
          h(
            'a',
            {
              href: '#',
              class: active ? 'active' : '',
              dataset: { channel: channel.name },
              onclick: (event) => {
                event.preventDefault();
                ui.surface = 'channel';
                ui.channel = channel.id;
                ui.threadTs = null;
                localStorage.setItem('sandbox.channel', channel.name);
                render();
              },
            },
            channel.isDm ? `✉️ ${channel.name}` : `# ${channel.name}`,
            channel.messages.length > 0 ? h('span', { class: 'count' }, channel.messages.length) : null,
          ),
        );
      }),
  );
  $('home-link').classList.toggle('active', ui.surface === 'home');
}

function keepScroll(container, update) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  update();
  if (atBottom) container.scrollTop = container.scrollHeight;
}

function messageView(message, channel, { inThread = false } = {}) {
  const context = { users: usersById(), onAction: actionHandler({ kind: 'message', channel: channel.id, ts: message.ts }) };
  const bot = isBot(message.user);
  return h(
    'div',
    { class: `message${bot ? ' bot' : ''}`, dataset: { ts: message.ts, key: `message-${message.ts}`, testid: 'message' } },
    h('div', { class: 'avatar' }, bot ? '🚢' : displayName(message.user).slice(0, 1)),
    h(
      'div',
      { class: 'message-body' },
      h(
        'div',
        { class: 'message-meta' },
        h('b', {}, displayName(message.user)),
        bot ? h('span', { class: 'app-badge' }, 'APP') : null,
        h('span', { class: 'time' }, formatTs(message.ts)),
        message.updates > 0 ? h('span', { class: 'edited', title: `updated ${message.updates}×` }, '(edited)') : null,
      ),
      message.blocks?.length ? renderBlocks(message.blocks, context) : message.text || !message.files?.length ? h('div', { class: 'plain' }, textNode(message.text)) : null,
      ...(message.files ?? []).map(fileView),
      !inThread && message.replies?.length
        ? h(
            'a',
            {
              href: '#',
              class: 'replies',
              dataset: { testid: 'replies' },
              onclick: (event) => {
                event.preventDefault();
                ui.threadTs = message.ts;
                render();
              },
            },
            `💬 ${message.replies.length} ${message.replies.length === 1 ? 'reply' : 'replies'}`,
          )
        : null,
    ),
  );
}

/** A shared file: an image inline (its alt text from the upload), anything else as a link. */
function fileView(file) {
  const src = `/sandbox/file?id=${encodeURIComponent(file.id)}`;
  const body = file.mimetype?.startsWith('image/')
    ? h('a', { href: src, target: '_blank', rel: 'noopener' }, h('img', { src, alt: file.altText ?? file.title, title: file.altText ?? file.title, loading: 'lazy' }))
    : h('a', { href: src, target: '_blank', rel: 'noopener' }, `📎 ${file.name}`);
  return h('figure', { class: 'file', dataset: { key: `file-${file.id}`, testid: 'file' } }, body, h('figcaption', {}, file.title));
}

function textNode(text) {
  const span = h('span');
  span.innerHTML = mrkdwn(text ?? '', usersById());
  return span;
}

function ephemeralView(ephemeral) {
  const context = { users: usersById(), onAction: actionHandler({ kind: 'ephemeral', id: ephemeral.id }) };
  return h(
    'div',
    { class: 'message ephemeral bot', dataset: { key: `ephemeral-${ephemeral.id}`, testid: 'ephemeral' } },
    h('div', { class: 'avatar' }, '🚢'),
    h(
      'div',
      { class: 'message-body' },
      h('div', { class: 'message-meta' }, h('b', {}, 'Durable Delivery'), h('span', { class: 'app-badge' }, 'APP'), h('span', { class: 'time' }, formatTs(ephemeral.ts))),
      ephemeral.blocks?.length ? renderBlocks(ephemeral.blocks, context) : h('div', { class: 'plain' }, textNode(ephemeral.text)),
      h('div', { class: 'only-you' }, '👁 Only visible to you'),
    ),
  );
}

function renderChannel() {
  const channel = currentChannel();
  patch($('channel-header'), channel ? h('span', {}, channel.isDm ? `✉️ ${channel.name}` : `# ${channel.name}`) : 'No channel yet');
  const container = $('messages');
  if (!channel) {
    patch(container, h('div', { class: 'empty' }, 'The app has not posted anything yet. Try /deploy in the command bar.'));
    return;
  }
  const items = [
    ...channel.messages.map((message) => ({ ts: Number(message.ts), node: () => messageView(message, channel) })),
    ...state.ephemerals
      .filter((ephemeral) => ephemeral.user === ui.user && ephemeral.channel === channel.id)
      .map((ephemeral) => ({ ts: Number(ephemeral.ts), node: () => ephemeralView(ephemeral) })),
  ].sort((a, b) => a.ts - b.ts);
  keepScroll(container, () => patch(container, ...(items.length ? items.map((item) => item.node()) : [emptyChannel(channel)])));
}

function emptyChannel(channel) {
  const [requester, approver] = [state.users[0], state.users.find((user) => /release manager|approver/.test(user.role))];
  return h(
    'div',
    { class: 'empty' },
    h('p', {}, `Nothing in #${channel.name} yet. Every service serves v1; the fleet on the right shows its traffic.`),
    requester && approver
      ? h('p', {}, 'Try ', h('code', {}, '/deploy checkout@v2 to production'), ` as ${requester.name}, then switch to ${approver.name} to approve it.`)
      : h('p', {}, 'Try /deploy in the command bar.'),
  );
}

function renderHome() {
  patch($('channel-header'), h('span', {}, '🏠 Durable Delivery · Home'));
  const home = state.homes[ui.user];
  const context = { users: usersById(), onAction: actionHandler({ kind: 'home' }) };
  patch(
    $('messages'),
    home ? h('div', { class: 'home', dataset: { testid: 'home' } }, renderBlocks(home.view.blocks, context)) : h('div', { class: 'empty' }, 'Opening App Home…'),
  );
}

function renderThread() {
  const pane = $('thread');
  const channel = currentChannel();
  const parent = ui.surface === 'channel' && ui.threadTs && channel?.messages.find((message) => message.ts === ui.threadTs);
  if (!parent) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  keepScroll(pane, () =>
    patch(
      pane,
      h(
        'div',
        { class: 'thread-header' },
        h('b', {}, 'Thread'),
        h('span', {}, ` # ${channel.name}`),
        h(
          'button',
          {
            class: 'close',
            type: 'button',
            onclick: () => {
              ui.threadTs = null;
              render();
            },
          },
          '✕',
        ),
      ),
      messageView(parent, channel, { inThread: true }),
      h('div', { class: 'thread-divider' }, `${parent.replies.length} ${parent.replies.length === 1 ? 'reply' : 'replies'}`),
      ...parent.replies.map((reply) => messageView(reply, channel, { inThread: true })),
    ),
  );
}

function renderModal() {
  const overlay = $('modal-overlay');
  const modal = state.modals.find((view) => view.user === ui.user && !ui.dismissed.has(view.id));
  if (!modal) {
    overlay.hidden = true;
    overlay.replaceChildren();
    ui.modalKey = null;
    return;
  }
  // Re-render only when the app changed the view, so what the user typed survives other updates.
  const key = `${modal.id}:${modal.hash}:${JSON.stringify(modal.view)}:${JSON.stringify(modal.errors ?? {})}`;
  if (key === ui.modalKey) return;
  ui.modalKey = key;
  const view = modal.view;
  const context = { users: usersById(), errors: modal.errors, onAction: actionHandler({ kind: 'view', viewId: modal.id }) };
  const body = h('div', { class: 'dialog-body' }, renderBlocks(view.blocks, context));
  overlay.replaceChildren(
    h(
      'form',
      {
        class: 'dialog modal',
        onsubmit: async (event) => {
          event.preventDefault();
          await send('/sandbox/view-submit', { user: ui.user, viewId: modal.id, values: collectInputValues(body) });
        },
      },
      h('div', { class: 'dialog-title' }, textObject(view.title, context)),
      body,
      h(
        'div',
        { class: 'dialog-buttons' },
        h(
          'button',
          {
            class: 'sk-button',
            type: 'button',
            'data-testid': 'modal-close',
            onclick: () => {
              ui.dismissed.add(modal.id);
              render();
            },
          },
          view.close?.text ?? 'Cancel',
        ),
        view.submit ? h('button', { class: 'sk-button primary', type: 'submit', 'data-testid': 'modal-submit' }, view.submit.text) : null,
      ),
    ),
  );
  overlay.hidden = false;
}

function renderFleet() {
  const fleet = state.fleet;
  const byTarget = new Map();
  for (const infraSet of fleet.infraSets) {
    const key = `${infraSet.service} · ${infraSet.environment}`;
    if (!byTarget.has(key)) byTarget.set(key, { service: infraSet.service, environment: infraSet.environment, sets: [] });
    byTarget.get(key).sets.push(infraSet);
  }
  const weightsOf = (service, environment) => fleet.weights.find((entry) => entry.service === service && entry.environment === environment)?.weights ?? {};
  const faultOf = (service, version) => fleet.faults.find((entry) => entry.service === service && entry.version === version)?.fault;
  const targets = [...byTarget.values()].sort((a, b) => a.service.localeCompare(b.service) || a.environment.localeCompare(b.environment));
  patch(
    $('fleet'),
    fleet.metricsReachable ? '' : h('div', { class: 'fleet-alert' }, '📉 metrics source unreachable'),
    ...targets.map((target) => {
      const weights = weightsOf(target.service, target.environment);
      const visible = target.sets.filter((set) => set.status !== 'retired' || (weights[set.infraSetId] ?? 0) > 0);
      const route = state.routes.find((candidate) => candidate.namespace === target.environment && candidate.name === target.service);
      return h(
        'div',
        { class: 'fleet-target', dataset: { key: `${target.service}/${target.environment}`, testid: 'fleet-target', service: target.service, environment: target.environment } },
        h('div', { class: 'fleet-target-name' }, h('b', {}, target.service), ` · ${target.environment}`),
        ...visible
          .sort((a, b) => (weights[b.infraSetId] ?? 0) - (weights[a.infraSetId] ?? 0))
          .map((set) => {
            const weight = weights[set.infraSetId] ?? 0;
            const fault = faultOf(set.service, set.version);
            return h(
              'div',
              { class: `fleet-set${weight > 0 ? ' serving' : ''}`, dataset: { key: set.infraSetId, testid: 'fleet-set', version: set.version, weight: String(weight) } },
              h('span', { class: 'fleet-version', title: set.infraSetId }, set.version),
              h('span', { class: 'bar' }, h('span', { class: 'fill', style: `width:${weight}%` })),
              h('span', { class: 'fleet-weight' }, `${weight}%`),
              fault ? h('span', { class: 'fault', title: JSON.stringify(fault) }, '💥') : null,
            );
          }),
        route ? routeView(route, target.sets) : null,
      );
    }),
  );
  const services = [...new Set(fleet.infraSets.map((set) => set.service))].sort();
  const select = $('gd-service');
  if (select.dataset.services !== services.join(',')) {
    const previous = select.value;
    select.replaceChildren(...services.map((service) => h('option', { value: service }, service)));
    select.dataset.services = services.join(',');
    if (services.includes(previous)) select.value = previous;
  }
  ui.metricsReachable = fleet.metricsReachable;
  $('gd-metrics').textContent = fleet.metricsReachable ? 'Metrics: reachable' : 'Metrics: UNREACHABLE';
  $('gd-metrics').classList.toggle('danger', !fleet.metricsReachable);
}

/** The service's HTTPRoute in the simulated cluster, as the Gateway API router left it: backendRefs and weights. */
function routeView(route, sets) {
  const versionOf = (backend) => sets.find((set) => set.infraSetId === backend || backend.startsWith(set.infraSetId.toLowerCase()))?.version;
  const weights = route.backends.map((backend) => `${backend.name}=${backend.weight}`).join(',');
  return h(
    'div',
    { class: 'fleet-route', title: `resourceVersion ${route.resourceVersion}`, dataset: { testid: 'httproute', key: `route-${route.namespace}/${route.name}`, service: route.name, environment: route.namespace, weights } },
    h('span', { class: 'route-kind' }, `HTTPRoute ${route.namespace}/${route.name}`),
    ...route.backends.map((backend) => h('span', { class: 'route-backend', title: backend.name }, `${versionOf(backend.name) ?? backend.name} ${backend.weight}`)),
  );
}

function describeGameDay(action) {
  switch (action.kind) {
    case 'fault_injected':
      return `💥 ${action.service}@${action.version}: ${[
        action.fault.errorRate !== undefined ? `${(action.fault.errorRate * 100).toFixed(1)}% errors` : null,
        action.fault.latencyMs !== undefined ? `+${action.fault.latencyMs} ms` : null,
      ]
        .filter(Boolean)
        .join(', ')}`;
    case 'faults_cleared':
      return action.version ? `🩹 cleared ${action.service}@${action.version}` : '🩹 cleared every fault';
    case 'metrics_unreachable':
      return '📉 metrics source unreachable';
    case 'metrics_restored':
      return '📈 metrics source back';
    case 'bot_restarted':
      return `🔄 bot restarted (down ${(action.downForMs / 1000).toFixed(1)} s)`;
    case 'bot_restart_failed':
      return `⚠️ restart failed: ${action.reason}`;
    default:
      return JSON.stringify(action);
  }
}

function renderGameDay() {
  const { entries, canRestart, restarting } = state.gameDay;
  const restart = $('gd-restart');
  restart.disabled = !canRestart || restarting;
  restart.textContent = restarting ? 'Restarting…' : 'Restart the bot';
  patch(
    $('gameday-log'),
    ...entries
      .slice(-8)
      .reverse()
      .map((entry) => h('li', {}, h('span', { class: 'time' }, entry.at.slice(11, 19)), ' ', describeGameDay(entry.action))),
  );
}

// ── wiring ─────────────────────────────────────────────────────────────────────────────────────

$('user-switcher').addEventListener('change', (event) => {
  ui.user = event.target.value;
  localStorage.setItem('sandbox.user', ui.user);
  ui.modalKey = null;
  if (ui.surface === 'home') void send('/sandbox/home', { user: ui.user });
  render();
});

$('home-link').addEventListener('click', (event) => {
  event.preventDefault();
  ui.surface = 'home';
  ui.threadTs = null;
  void send('/sandbox/home', { user: ui.user });
  render();
});

$('command-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('command-input');
  const text = input.value.trim();
  if (!text) return;
  if (!text.startsWith('/')) {
    toast('Commands start with a slash: /deploy, /release, /rollback, /freeze, /unfreeze, /queue, /dora (each answers help; /release supersede rolls a release forward)');
    return;
  }
  const channel = currentChannel();
  if (ui.surface === 'home') ui.surface = 'channel';
  input.value = '';
  ui.dismissed.clear();
  await send('/sandbox/command', { user: ui.user, channel: channel?.name ?? state?.defaultChannel ?? 'general', text });
});

function gameDayTarget() {
  return { service: $('gd-service').value, version: $('gd-version').value.trim() };
}

$('gd-inject-errors').addEventListener('click', () => {
  const target = gameDayTarget();
  if (!target.version) return toast('Name the version to break, e.g. v3');
  void send('/sandbox/gameday/fault', { ...target, errorRate: Number($('gd-error-rate').value) / 100 });
});
$('gd-inject-latency').addEventListener('click', () => {
  const target = gameDayTarget();
  if (!target.version) return toast('Name the version to slow down, e.g. v3');
  void send('/sandbox/gameday/fault', { ...target, latencyMs: Number($('gd-latency').value) });
});
$('gd-clear').addEventListener('click', () => void send('/sandbox/gameday/clear-faults', {}));
$('gd-metrics').addEventListener('click', () => void send('/sandbox/gameday/metrics', { reachable: !ui.metricsReachable }));
$('gd-restart').addEventListener('click', () => void send('/sandbox/gameday/restart', {}));
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') {
    $('confirm-overlay').hidden = true;
  }
});

connect();
