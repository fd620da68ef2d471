import { describe, expect, it } from 'vitest';
import { ActionIds, BlockIds, CallbackIds } from '../../../src/adapters/slack/action-ids.js';
import { renderAppHome } from '../../../src/adapters/slack/blocks/app-home.js';
import { renderDeployForm, renderDeployPlanning, renderDeployPreview, type ModalView } from '../../../src/adapters/slack/blocks/deploy-modal.js';
import { renderHelp, renderProblem } from '../../../src/adapters/slack/blocks/ephemeral.js';
import { renderReleaseCard } from '../../../src/adapters/slack/blocks/release-card.js';
import { renderReleaseList } from '../../../src/adapters/slack/blocks/release-list.js';
import { renderSupersedeForm } from '../../../src/adapters/slack/blocks/supersede-modal.js';
import type { ReleaseView } from '../../../src/domain/release/types.js';
import { checkMessageBlocks, checkView } from '../../../src/sandbox/slack-emulator/index.js';
import { HELP } from '../../../src/app/slack/command-text.js';
import { sampleReleaseView } from '../../support/slack-release-views.js';

type Json = Record<string, unknown>;

function buttons(blocks: unknown[]): Json[] {
  return (blocks as Json[]).filter((block) => block.type === 'actions').flatMap((block) => block.elements as Json[]);
}

describe('release card', () => {
  it('renders a running release the same way every time', () => {
    const card = renderReleaseCard(sampleReleaseView());
    expect(checkMessageBlocks(card.blocks)).toEqual([]);
    expect(card).toMatchSnapshot();
  });

  it('shows what ships, every stage state, the gates with ✓/✗, the health numbers and the rollback order', () => {
    const text = JSON.stringify(renderReleaseCard(sampleReleaseView()).blocks);
    expect(text).toContain('`v2.0.0` → *v2.1.0*');
    expect(text).toContain('canary 1% baking, 4m left');
    expect(text).toContain('✓ approvals 1/1 (<@U0BOB>)');
    expect(text).toContain('✓ window (weekday business hours, closes 17:00)');
    expect(text).toContain('errors 0.21% vs baseline 0.20% (1.05×)');
    expect(text).toContain('`checkout` → `v1.4.1`, `payments` → `v2.0.0`');
    expect(text).toContain('too little to judge');
  });

  it('offers only the buttons that fit the state, with confirm dialogs on the destructive ones', () => {
    const running = buttons(renderReleaseCard(sampleReleaseView()).blocks);
    expect(running.map((button) => button.action_id)).toEqual([ActionIds.pause, ActionIds.promote, ActionIds.supersede, ActionIds.rollback, ActionIds.abort]);
    // Roll forward… only opens a modal: submitting it is the confirmation.
    for (const destructive of running.filter((button) => button.action_id !== ActionIds.pause && button.action_id !== ActionIds.supersede)) expect(destructive.confirm).toBeDefined();
    expect(running.find((button) => button.action_id === ActionIds.supersede)).toMatchObject({ text: { text: 'Roll forward…' } });
    const waiting = buttons(renderReleaseCard(sampleReleaseView({ status: 'waiting', allowedActions: ['approve', 'abort'] })).blocks);
    expect(waiting.map((button) => button.action_id)).toEqual([ActionIds.approve, ActionIds.abort]);
    const paused = buttons(renderReleaseCard(sampleReleaseView({ status: 'paused', paused: { by: 'U0BOB', at: '2026-11-23T14:13:00.000Z' }, allowedActions: ['resume', 'rollback'] })).blocks);
    expect(paused.map((button) => button.action_id)).toEqual([ActionIds.resume, ActionIds.rollback]);
    const done = renderReleaseCard(
      sampleReleaseView({ status: 'succeeded', allowedActions: [], outcome: { kind: 'succeeded', at: '2026-11-23T15:00:00.000Z', reason: null } }),
    );
    expect(buttons(done.blocks)).toEqual([]);
    expect(done.text).toContain('Succeeded');
  });

  it('the Roll back confirm names an irreversible version and what rolling back means for it, within Slack’s limits', () => {
    const confirmOf = (view: ReleaseView) => {
      const card = renderReleaseCard(view);
      expect(checkMessageBlocks(card.blocks)).toEqual([]);
      const text = (buttons(card.blocks).find((button) => button.action_id === ActionIds.rollback)!.confirm as { text: { text: string } }).text.text;
      expect(text.length).toBeLessThanOrEqual(300);
      return text;
    };
    expect(confirmOf(sampleReleaseView())).toContain('returns to the last-known-good infra-sets');
    const from = sampleReleaseView().changes[0]!;
    expect(confirmOf(sampleReleaseView({ irreversible: [{ service: from.service, version: from.to }] }))).toBe(
      `:warning: *Cannot be undone:* ${from.service}@${from.to} is irreversible. Rolling back sends ${from.service}'s traffic back to ${from.from}, but whatever ${from.to} already changed (a migration, say) stays as it is: ${from.from} runs on top of it.`,
    );
    const several = confirmOf(sampleReleaseView({ irreversible: [{ service: 'checkout', version: 'v9' }, { service: 'payments', version: 'v3' }] }));
    expect(several).toContain('checkout@v9, payments@v3 are irreversible');
    const long = confirmOf(sampleReleaseView({ irreversible: [{ service: `svc-${'x'.repeat(80)}`, version: `v${'9'.repeat(80)}` }] }));
    expect(long).toContain(':warning: *Cannot be undone:* svc-');
  });

  it('carries the release id and card version in every button value; Roll forward… carries what the release ships instead', () => {
    const all = buttons(renderReleaseCard(sampleReleaseView()).blocks);
    for (const button of all.filter((candidate) => candidate.action_id !== ActionIds.supersede)) {
      expect(JSON.parse(String(button.value))).toEqual({ r: 'rel-0001', v: 7 });
    }
    const rollForward = all.find((button) => button.action_id === ActionIds.supersede)!;
    expect(JSON.parse(String(rollForward.value))).toEqual({ r: 'rel-0001', s: { payments: 'v2.1.0', checkout: 'v1.4.2' } });
  });

  it('shows Roll forward… only when the release can be superseded, and leaves the services out of its value past Slack’s 2,000 characters', () => {
    expect(buttons(renderReleaseCard(sampleReleaseView({ allowedActions: ['pause', 'rollback'] })).blocks).map((button) => button.action_id)).not.toContain(ActionIds.supersede);
    const many = Array.from({ length: 80 }, (_, index) => ({ service: `service-number-${index}`, from: 'v1.0.0', to: 'v1.0.1' }));
    const card = renderReleaseCard(sampleReleaseView({ changes: many }));
    expect(checkMessageBlocks(card.blocks)).toEqual([]);
    const rollForward = buttons(card.blocks).find((button) => button.action_id === ActionIds.supersede)!;
    expect(JSON.parse(String(rollForward.value))).toEqual({ r: 'rel-0001' });
  });

  it('renders waiting, failed, holding and rolled-back stages', () => {
    const view = sampleReleaseView();
    const production = view.environments[1];
    if (!production?.services[0]) throw new Error('fixture changed');
    production.services[0].stages = [
      { stage: 'canary', weight: 1, state: 'failed', reason: 'errors 2.3× baseline' },
      { stage: 'early', weight: 10, state: 'waiting', reasons: [{ gate: 'window', ok: false, code: 'window_closed', message: 'window closed', opensAt: '2026-11-24T14:00:00.000Z' }] },
      { stage: 'full', weight: 100, state: 'rolled_back' },
    ];
    production.gates.push({ gate: 'freeze', ok: false, code: 'frozen', message: 'frozen: incident 123' });
    const text = JSON.stringify(renderReleaseCard(view).blocks);
    expect(text).toContain(':x: canary 1% failed  ·');
    expect(text).not.toContain('errors 2.3× baseline');
    expect(text).toContain('waiting: window closed');
    expect(text).toContain('✗ no freeze: frozen: incident 123');
    expect(text).toContain('full 100% rolled back');
  });

  it('stays within Block Kit limits for a release of 60 services across 60 environments', () => {
    const base = sampleReleaseView();
    const template = base.environments[1];
    if (!template) throw new Error('fixture changed');
    const services = Array.from({ length: 60 }, (_, index) => `service-with-a-long-name-${index}`);
    const view: ReleaseView = {
      ...base,
      changes: services.map((service) => ({ service, from: 'v1.0.0-with-a-long-build-suffix-0123456789', to: 'v1.0.1-with-a-long-build-suffix-0123456789' })),
      environments: Array.from({ length: 60 }, (_, index) => ({
        ...template,
        environment: `env-${index}`,
        services: services.map((service) => ({ ...(template.services[0] as ReleaseView['environments'][0]['services'][0]), service })),
      })),
      summary: 'x'.repeat(5000),
    };
    const card = renderReleaseCard(view);
    expect(checkMessageBlocks(card.blocks)).toEqual([]);
    expect(card.blocks.length).toBeLessThanOrEqual(50);
  });
});

describe('other surfaces', () => {
  it('renders help, problems and the release list within limits', () => {
    for (const content of [
      renderHelp(HELP.deploy),
      renderHelp(HELP.release),
      renderProblem({ code: 'unknown_service', message: 'There is no service called `chekout`.', suggestion: 'checkout', usage: '/deploy <service>@<version>' }),
      renderReleaseList([sampleReleaseView(), sampleReleaseView({ id: 'rel-0002' })]),
      renderReleaseList([]),
    ]) {
      expect(checkMessageBlocks(content.blocks)).toEqual([]);
      expect(content.text.length).toBeGreaterThan(0);
    }
    expect(renderProblem({ code: 'x', message: 'm', suggestion: 'checkout' }).text).toContain('Did you mean checkout?');
  });

  it('renders the deploy modal steps as valid views', () => {
    const form = renderDeployForm({ services: ['checkout', 'web'], environments: ['staging', 'production'], problem: 'window closed' });
    expect(checkView(form)).toEqual([]);
    expect(checkView(renderDeployPlanning({ service: 'checkout', version: 'v1', environment: 'staging' }))).toEqual([]);
    const preview = renderDeployPreview({ service: 'checkout', version: 'v1', environment: 'staging', summary: ['staging: full 100% for 2m'] });
    expect(checkView(preview)).toEqual([]);
    expect(JSON.parse(preview.private_metadata ?? '')).toEqual({ service: 'checkout', version: 'v1', environment: 'staging' });
    const many = renderDeployForm({ services: Array.from({ length: 150 }, (_, index) => `s${index}`), environments: ['staging'] });
    expect(checkView(many)).toEqual([]);
    expect(JSON.stringify(many)).toContain('plain_text_input');
  });

  it('renders the roll-forward modal as a valid view: the release\'s services to choose from (the only one preselected), the version typed', () => {
    const elementOf = (form: ModalView, blockId: string) => (form.blocks.find((block) => block.block_id === blockId) as Json).element as Json;
    const one = renderSupersedeForm({ releaseId: 'rel-0001', ships: { checkout: 'v1.4.2' }, channel: 'C0DEPLOYS' });
    expect(checkView(one)).toEqual([]);
    expect(one).toMatchObject({ callback_id: CallbackIds.supersedeForm, title: { text: 'Roll forward' }, submit: { text: 'Roll forward' } });
    expect(elementOf(one, BlockIds.supersedeService)).toMatchObject({ type: 'static_select', action_id: ActionIds.supersedeService, initial_option: { value: 'checkout', text: { text: 'checkout · ships v1.4.2' } } });
    expect(elementOf(one, BlockIds.supersedeVersion)).toMatchObject({ type: 'plain_text_input', action_id: ActionIds.supersedeVersion });
    expect(JSON.parse(one.private_metadata ?? '')).toEqual({ r: 'rel-0001', c: 'C0DEPLOYS', s: ['checkout'] });

    const two = renderSupersedeForm({ releaseId: 'rel-0001', ships: { payments: 'v2.1.0', checkout: 'v1.4.2' }, channel: null });
    expect(checkView(two)).toEqual([]);
    expect(elementOf(two, BlockIds.supersedeService).initial_option).toBeUndefined();
    expect((elementOf(two, BlockIds.supersedeService).options as Json[]).map((option) => option.value)).toEqual(['payments', 'checkout']);

    // The card could not carry the services, or a select could not list them all: the name is typed.
    for (const ships of [{}, Object.fromEntries(Array.from({ length: 120 }, (_, index) => [`s${index}`, 'v1']))]) {
      const typed = renderSupersedeForm({ releaseId: 'rel-0001', ships, channel: 'C0DEPLOYS' });
      expect(checkView(typed)).toEqual([]);
      expect(elementOf(typed, BlockIds.supersedeService).type).toBe('plain_text_input');
      expect(JSON.parse(typed.private_metadata ?? '')).toEqual({ r: 'rel-0001', c: 'C0DEPLOYS' });
    }
  });

  it('renders the mentions the engine wrote, and nothing else a user typed, as mrkdwn', () => {
    const refusal = 'Actor <@U0ALICE> may not deploy to production (release managers only); see <#C0DEPLOYS>';
    const sectionsOf = (blocks: unknown[]) => (blocks as Json[]).filter((block) => block.type === 'section').map((block) => (block.text as Json).text as string);
    // The /deploy modal shows the engine's refusal above the form.
    const form = renderDeployForm({ services: ['checkout'], environments: ['production'], problem: refusal });
    expect(checkView(form)).toEqual([]);
    expect(sectionsOf(form.blocks)[0]).toBe(`:no_entry_sign: ${refusal}`);
    expect(JSON.stringify(form)).not.toContain('&lt;@');
    // The same in an ephemeral refusal, and on the card's summary and outcome.
    expect(sectionsOf(renderProblem({ code: 'not_authorized', message: refusal }).blocks)[0]).toContain('Actor <@U0ALICE> may not deploy');
    const paused = renderReleaseCard(sampleReleaseView({ summary: 'production · checkout · paused by <@U0BOB>' }));
    expect(sectionsOf(paused.blocks).join('\n')).toContain('paused by <@U0BOB>');
    const reason = 'rolled back by <@U0CAROL>: wrong <b> & <!channel>';
    const card = renderReleaseCard(
      sampleReleaseView({ status: 'rolled_back', summary: `Rolled back: ${reason}`, outcome: { kind: 'rolled_back', at: '2026-11-23T15:00:00.000Z', reason } }),
    );
    const text = sectionsOf(card.blocks).join('\n');
    // User-supplied text stays inert: no broadcast, no markup.
    expect(text).toContain('rolled back by <@U0CAROL>: wrong &lt;b&gt; &amp; &lt;!channel&gt;');
    // The reason is said once, and the finish time is a date token.
    expect(text.split('rolled back by <@U0CAROL>')).toHaveLength(2);
    expect(text).toContain('Finished <!date^1795446000^{date_short_pretty} {time}|2026-11-23 15:00 UTC>');
    expect(sectionsOf(renderDeployForm({ services: ['checkout'], environments: ['production'], problem: 'No service named <!here>' }).blocks)[0]).toBe(':no_entry_sign: No service named &lt;!here&gt;');
  });

  it('renders App Home with every section', () => {
    const home = renderAppHome({
      userId: 'U0BOB',
      myReleases: [],
      awaitingMyApproval: [sampleReleaseView({ status: 'waiting' })],
      queue: null,
      freezes: [{ id: 1, environment: 'production', reason: 'incident 123', from: '2026-11-23T14:00:00.000Z', until: '2026-11-23T16:00:00.000Z', by: 'U0BOB', source: 'adhoc' }],
      windows: [{ environment: 'production', text: 'closed; next opens 2026-11-24T14:00:00.000Z' }],
      lineStop: null,
      mayStopTheLine: false,
    });
    expect(checkView(home)).toEqual([]);
    const text = JSON.stringify(home);
    expect(text).toContain('rel-0001');
    expect(text).toContain('The merge queue is not enabled.');
    expect(text).toContain('incident 123');
    expect(text).toContain('next opens');
  });
});
