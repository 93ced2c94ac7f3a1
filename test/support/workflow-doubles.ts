/**
 * In-process stand-ins for the workflow's ports, shared by the tests that assemble a real Workflow:
 * a co-signer that stores intents without a chain, one that must never be reached, and a notifier
 * that posts a card id the first time a proposal changes (so presses can name it).
 */
import { parsePolicyText } from '../../src/policy/load.ts';
import { PolicyRegistry } from '../../src/policy/registry.ts';
import { examplePolicyText } from '../../src/sandbox/fixtures/scenario.ts';
import { SANDBOX, SANDBOX_TELEGRAM } from '../../src/sandbox/seeds.ts';
import type { IntentRecord, Store } from '../../src/store/types.ts';
import type { ApprovalStatus, CoSigner, Notifier } from '../../src/workflow/ports.ts';

/** A co-signer that stores intents and records what it was asked to send (no chain). */
export class RecordingCoSigner implements CoSigner {
  readonly address = SANDBOX.cosigner;
  status: ApprovalStatus = { kind: 'pending' };
  sent: string[] = [];
  rejected: string[] = [];
  constructor(private readonly store: () => Store) {}
  async prepareApproval({ row }: Parameters<CoSigner['prepareApproval']>[0]): Promise<IntentRecord> {
    return this.store().recordIntent({ proposal: row.id, kind: 'approve-execute', transaction: new Uint8Array([1, 2, 3]), signature: `sig-${row.id}-${this.sent.length}`, blockhash: 'bh', lastValidBlockHeight: 1000n, status: 'sent' });
  }
  async send(intent: IntentRecord) {
    this.sent.push(intent.signature);
  }
  async approvalStatus(): Promise<ApprovalStatus> {
    return this.status;
  }
  async reject({ row }: Parameters<CoSigner['reject']>[0]) {
    this.rejected.push(row.id);
  }
}

/** A co-signer that is never reached (tests that stop before signing). */
export const NO_COSIGNER: CoSigner = {
  address: SANDBOX.cosigner,
  prepareApproval: async (): Promise<IntentRecord> => {
    throw new Error('not in these tests');
  },
  send: async () => {},
  approvalStatus: async () => ({ kind: 'pending' }),
  reject: async () => {},
};

/** A notifier that gives each proposal a card (message ids from 100) in the sandbox chat, and collects alerts. */
export function cardNotifier(store: () => Store, alerts: string[] = []): Notifier & { alerts: string[]; reminders: { rowId: number; missing: readonly string[] }[] } {
  let nextMessage = 100;
  const reminders: { rowId: number; missing: readonly string[] }[] = [];
  return {
    alerts,
    reminders,
    async proposalChanged(rowId) {
      if (!(await store().getCard(rowId))) {
        await store().upsertCard({ proposalRowId: rowId, chatId: SANDBOX_TELEGRAM.chatId, messageId: nextMessage++, lastRenderedHash: null, pendingRender: false });
      }
    },
    async remind(rowId, missing) {
      reminders.push({ rowId, missing });
    },
    async alert(_chat, text) {
      alerts.push(text);
    },
  };
}

/** policies/example.yaml as a registry (no directory to reload). */
export function exampleRegistry(): PolicyRegistry {
  const parsed = parsePolicyText(examplePolicyText(), 'policies/example.yaml');
  if (!parsed.ok) throw new Error('policies/example.yaml is invalid');
  return PolicyRegistry.of([{ file: 'policies/example.yaml', policy: parsed.policy, revision: parsed.revision }]);
}
