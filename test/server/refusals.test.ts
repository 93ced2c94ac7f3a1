/**
 * Workflow refusals carry a domain kind, not an HTTP status; the server maps each kind to its status
 * (docs/api.md) and keeps the refusal's code. Bad input is a 4xx naming the input; an unreachable or
 * failing RPC is a 503 with Retry-After.
 */
import { describe, expect, it } from 'vitest';
import { ChainUnavailable, RpcRejected } from '../../src/chain/errors.ts';
import { REFUSAL_STATUS, toHttpError } from '../../src/server/errors.ts';
import { invalidInput, WorkflowRefusal, type RefusalKind } from '../../src/workflow/errors.ts';

const answer = (err: unknown) => toHttpError(err, 'req-1');

describe('workflow refusals as HTTP answers', () => {
  it.each([
    ['not-found', 404],
    ['conflict', 409],
    ['unprocessable', 422],
    ['invalid-input', 422],
    ['unavailable', 503],
    ['not-implemented', 501],
  ] as const)('%s → %i, the code and message kept, not unexpected', (kind: RefusalKind, status: number) => {
    expect(REFUSAL_STATUS[kind]).toBe(status);
    const { error, unexpected } = answer(new WorkflowRefusal(kind, 'some-code', 'what happened; what to do'));
    expect({ status: error.status, code: error.code, message: error.message, details: error.details, unexpected }).toEqual({
      status, code: 'some-code', message: 'what happened; what to do', details: undefined, unexpected: false,
    });
  });

  it('an invalid input is a 422 whose details name it, as the schema’s own invalid-value does', () => {
    const { error } = answer(invalidInput('signature', 'signature must be a base58 transaction signature (64 bytes)'));
    expect(error.status).toBe(422);
    expect(error.code).toBe('invalid-value');
    expect(error.details).toEqual([{ path: 'signature', message: 'signature must be a base58 transaction signature (64 bytes)' }]);
  });

  it('an unreachable or failing RPC is a 503 chain-unavailable with Retry-After', () => {
    for (const err of [new ChainUnavailable('timeout'), new RpcRejected('sendTransaction', -32003, 'signature verification failure')]) {
      const { error } = answer(err);
      expect({ status: error.status, code: error.code, retryAfter: error.retryAfter }).toEqual({ status: 503, code: 'chain-unavailable', retryAfter: 5 });
    }
  });
});
