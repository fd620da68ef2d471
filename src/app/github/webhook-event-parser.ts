import { z } from 'zod';
import type { QueueWebhookEvent } from '../../domain/merge-queue/webhook-event.js';

/** Only the fields the queue reads; GitHub sends far more, and extra keys are fine. */
const repository = z.object({ full_name: z.string() });
const sender = z.object({ login: z.string() }).optional();

const pullRequestPayload = z.object({
  action: z.string(),
  number: z.number().int().optional(),
  pull_request: z.object({ number: z.number().int(), merged: z.boolean().nullish(), head: z.object({ sha: z.string() }) }),
  label: z.object({ name: z.string() }).optional(),
  repository,
  sender,
});

const checkSuitePayload = z.object({ action: z.string(), check_suite: z.object({ head_sha: z.string() }), repository });
const checkRunPayload = z.object({ action: z.string(), check_run: z.object({ head_sha: z.string() }), repository });
const statusPayload = z.object({ sha: z.string(), state: z.string(), repository });

/** Turns a verified delivery (X-GitHub-Event + JSON body) into the queue's event, or says why it is ignored. */
export function parseQueueWebhook(eventName: string, body: unknown): QueueWebhookEvent {
  switch (eventName) {
    case 'pull_request': {
      const parsed = pullRequestPayload.safeParse(body);
      if (!parsed.success) return { kind: 'ignored', reason: `unreadable pull_request payload: ${parsed.error.issues[0]?.message ?? ''}` };
      const { action, pull_request: pull, repository: repo, label } = parsed.data;
      const who = parsed.data.sender?.login ?? 'github';
      switch (action) {
        case 'labeled':
        case 'unlabeled':
          if (!label) return { kind: 'ignored', reason: `${action} without a label` };
          return { kind: action === 'labeled' ? 'pull_labeled' : 'pull_unlabeled', repo: repo.full_name, pullNumber: pull.number, label: label.name, sender: who };
        case 'closed':
          return { kind: 'pull_closed', repo: repo.full_name, pullNumber: pull.number, merged: pull.merged === true, sender: who };
        case 'synchronize':
          return { kind: 'pull_synchronized', repo: repo.full_name, pullNumber: pull.number, headSha: pull.head.sha };
        default:
          return { kind: 'ignored', reason: `pull_request.${action}` };
      }
    }
    case 'check_suite': {
      const parsed = checkSuitePayload.safeParse(body);
      if (!parsed.success || parsed.data.action !== 'completed') return { kind: 'ignored', reason: 'check_suite not completed' };
      return { kind: 'checks_completed', repo: parsed.data.repository.full_name, sha: parsed.data.check_suite.head_sha };
    }
    case 'check_run': {
      const parsed = checkRunPayload.safeParse(body);
      if (!parsed.success || parsed.data.action !== 'completed') return { kind: 'ignored', reason: 'check_run not completed' };
      return { kind: 'checks_completed', repo: parsed.data.repository.full_name, sha: parsed.data.check_run.head_sha };
    }
    case 'status': {
      const parsed = statusPayload.safeParse(body);
      if (!parsed.success || parsed.data.state === 'pending') return { kind: 'ignored', reason: 'status still pending' };
      return { kind: 'checks_completed', repo: parsed.data.repository.full_name, sha: parsed.data.sha };
    }
    default:
      return { kind: 'ignored', reason: `event ${eventName}` };
  }
}
