import { describe, expect, it } from 'vitest';
import { ChatMergeQueueNotifier } from '../../../src/services/merge-queue/chat-notifier.js';

describe('a queue change', () => {
  it('asks for App Home to be re-published, and posts nothing in a channel', async () => {
    const posted: string[] = [];
    const changed: string[] = [];
    const notifier = new ChatMergeQueueNotifier(
      { notify: async (channel, text) => void posted.push(`${channel}: ${text}`) },
      { channels: { '*': '#merges' }, onQueueChanged: async (queue) => void changed.push(`${queue.repo}/${queue.baseBranch}`) },
    );
    await notifier.notify({ kind: 'queue_changed', repo: 'acme/checkout', baseBranch: 'main' });
    expect(changed).toEqual(['acme/checkout/main']);
    expect(posted).toEqual([]);
  });
});
