import { describe, expect, it } from 'vitest';
import { renderReleaseCard } from '../../../src/adapters/slack/blocks/release-card.js';
import { checkMessageBlocks } from '../../../src/sandbox/slack-emulator/index.js';
import { sampleReleaseView } from '../../support/slack-release-views.js';

describe('the card during the watch window', () => {
  it('counts the window down: where, what is watched, when it ends and what a breach does', () => {
    const view = sampleReleaseView({
      updatedAt: '2026-11-23T14:20:00.000Z',
      summary: 'production · watching checkout, payments at 100%, 18m left in the watch window',
      watch: { environment: 'production', since: '2026-11-23T14:08:00.000Z', until: '2026-11-23T14:38:00.000Z', services: ['checkout', 'payments'] },
    });
    const card = renderReleaseCard(view);
    expect(checkMessageBlocks(card.blocks)).toEqual([]);
    const text = JSON.stringify(card.blocks);
    expect(text).toContain(':eyes: *Watch window* in production: `checkout`, `payments` at 100%, ends <!date^1795444680^');
    expect(text).toContain('(18m left) — a breach rolls back at once to the previous infra-set, still warm');
  });

  it('says nothing of a watch when there is none', () => {
    expect(JSON.stringify(renderReleaseCard(sampleReleaseView()).blocks)).not.toContain('Watch window');
  });
});
