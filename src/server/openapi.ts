/**
 * GET /openapi.json: the OpenAPI 3.1 document of the HTTP API, generated from the zod schemas in
 * schemas.ts with zod 4's `z.toJSONSchema` (request bodies as their input form).
 */
import { z } from 'zod';
import {
  CloseLossRequest,
  ErrorResponse,
  HealthAnswer,
  LossEventList,
  LossEventRequest,
  LossEventView,
  ProposalList,
  ProposalRequest,
  ProposalView,
  ReadyAnswer,
} from './schemas.ts';
import { PoolCheckAnswer } from './routes/pool-check.ts';
import { PlanJson, PlanRequest, PlanSummary } from './routes/plans.ts';

/** Named schemas, generated once into `components.schemas` (requests in their input form). */
const REQUESTS = { LossEventRequest, CloseLossRequest, ProposalRequest, PlanRequest } as const;
const RESPONSES = { Error: ErrorResponse, LossEvent: LossEventView, Proposal: ProposalView, LossEventList, ProposalList, Health: HealthAnswer, Ready: ReadyAnswer, PoolCheck: PoolCheckAnswer, PlanSummary, Plan: PlanJson } as const;

function components(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Record<string, unknown>> };
  return Object.fromEntries(Object.entries(out.schemas).map(([id, { $schema: _s, $id: _i, ...rest }]) => [id, rest]));
}

const ref = (id: keyof typeof REQUESTS | keyof typeof RESPONSES) => ({ $ref: `#/components/schemas/${id}` });
const content = (id: keyof typeof REQUESTS | keyof typeof RESPONSES) => ({ 'application/json': { schema: ref(id) } });

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: ERROR_TEXT[s] ?? 'error', content: content('Error') }]));

const ERROR_TEXT: Record<number, string> = {
  400: 'malformed JSON or a body that fails the schema',
  401: 'missing or bad signature, stale timestamp, unknown source; or no read token',
  403: 'the source may not act on that vault or action',
  404: 'unknown vault, multisig or record',
  409: 'replayed signature, duplicate, or already done',
  413: 'body larger than 64 KiB',
  415: 'not application/json',
  422: 'unverifiable loss, unknown escrow, or an Idempotency-Key reused for another request',
  429: 'rate limited (Retry-After)',
  501: 'create mode is not available',
  503: 'store or chain unavailable (Retry-After), or programs unavailable',
};

const SIGNED_ERRORS = [400, 401, 403, 404, 409, 413, 415, 422, 429, 503];
const READ_ERRORS = [401, 404, 503];

const signedHeaders = [
  { name: 'X-Backstop-Source', in: 'header', required: true, schema: { type: 'string' } },
  { name: 'X-Backstop-Timestamp', in: 'header', required: true, schema: { type: 'string' }, description: 'unix seconds, within ±300 s' },
  {
    name: 'X-Backstop-Signature',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description: 'base64 ed25519 over "<timestamp>.<METHOD> <path>.<raw body>"',
  },
  { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' }, description: 'the same key and body within 24 h get the stored answer' },
];
const idParam = (description: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description });

/** The OpenAPI document. */
export function buildOpenApi(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'backstop', version: '1', description: 'Policy-checked co-signer for Kamino Insurance Pool emergency withdrawals (docs/api.md)' },
    components: {
      securitySchemes: { readToken: { type: 'http', scheme: 'bearer', description: 'API_READ_TOKEN' } },
      schemas: { ...components(REQUESTS, 'input'), ...components(RESPONSES, 'output') },
    },
    paths: {
      '/v1/loss-events': {
        post: {
          summary: 'Record a loss event (verified on-chain)',
          parameters: signedHeaders,
          requestBody: { required: true, content: content('LossEventRequest') },
          responses: { '201': { description: 'recorded, with its evidence', content: content('LossEvent') }, ...errors(...SIGNED_ERRORS) },
        },
        get: {
          summary: 'List loss events',
          security: [{ readToken: [] }],
          responses: { '200': { description: 'loss events', content: content('LossEventList') }, ...errors(...READ_ERRORS) },
        },
      },
      '/v1/loss-events/{id}': {
        get: {
          summary: 'One loss event',
          security: [{ readToken: [] }],
          parameters: [idParam('loss event id')],
          responses: { '200': { description: 'the loss event', content: content('LossEvent') }, ...errors(...READ_ERRORS) },
        },
      },
      '/v1/loss-events/{id}/close': {
        post: {
          summary: "Close a loss event (releases its reservations, voids the vault's pending approvals)",
          parameters: [idParam('loss event id'), ...signedHeaders],
          requestBody: { required: true, content: content('CloseLossRequest') },
          responses: { '200': { description: 'closed', content: content('LossEvent') }, ...errors(...SIGNED_ERRORS) },
        },
      },
      '/v1/loss-events/{id}/plan': {
        post: {
          summary: 'Build the compensation plan from the chain at the loss slot, store and audit it',
          parameters: [idParam('loss event id'), ...signedHeaders],
          requestBody: { required: true, content: content('PlanRequest') },
          responses: { '201': { description: 'stored: root, total, claimants', content: content('PlanSummary') }, ...errors(...SIGNED_ERRORS) },
        },
        get: {
          summary: 'The newest stored plan, entries with their merkle proofs',
          security: [{ readToken: [] }],
          parameters: [idParam('loss event id')],
          responses: { '200': { description: 'the plan', content: content('Plan') }, ...errors(...READ_ERRORS) },
        },
      },
      '/v1/proposals': {
        post: {
          summary: 'Register ({ multisig, transactionIndex }) or create ({ vault, lossEventId, amount, escrow }) a proposal',
          parameters: signedHeaders,
          requestBody: { required: true, content: content('ProposalRequest') },
          responses: { '202': { description: 'the proposal, decided', content: content('Proposal') }, ...errors(...SIGNED_ERRORS, 501) },
        },
        get: {
          summary: 'List proposals',
          security: [{ readToken: [] }],
          parameters: [{ name: 'state', in: 'query', required: false, schema: { type: 'string' } }],
          responses: { '200': { description: 'proposals', content: content('ProposalList') }, ...errors(400, ...READ_ERRORS) },
        },
      },
      '/v1/proposals/{id}': {
        get: {
          summary: 'One proposal with its latest decision, current approvals and latest intent',
          security: [{ readToken: [] }],
          parameters: [idParam('<multisig>:<transactionIndex>')],
          responses: { '200': { description: 'the proposal', content: content('Proposal') }, ...errors(...READ_ERRORS) },
        },
      },
      '/v1/vaults/{vault}/pool-check': {
        get: {
          summary: "The vault's Insurance Pool audit, read from the chain now (as `backstop pool check --json`)",
          security: [{ readToken: [] }],
          parameters: [{ name: 'vault', in: 'path', required: true, schema: { type: 'string' }, description: 'the kvault address (a policy must cover it)' }],
          responses: { '200': { description: 'the nine checks', content: content('PoolCheck') }, ...errors(400, ...READ_ERRORS) },
        },
      },
      '/healthz': { get: { summary: 'The process answers', responses: { '200': { description: 'up', content: content('Health') } } } },
      '/readyz': {
        get: {
          summary: 'Store, RPC, Telegram and co-signer fee balance',
          responses: { '200': { description: 'ready', content: content('Ready') }, '503': { description: 'not ready', content: content('Ready') } },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    },
  };
}
