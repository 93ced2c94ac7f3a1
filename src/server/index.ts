/** The HTTP API (docs/api.md): what the service wires. */
export { createApp, type AppOptions } from './app.ts';
export { startHttpServer, type RunningHttpServer } from './listen.ts';
export { createMetrics, countDecisions, registerHttpMetrics, registerDecisionMetrics, registerRpcMetrics, registerPollerMetrics, type Metrics } from './metrics.ts';
export { runReadiness, storeReady, rpcReady, feeBalanceReady, MIN_FEE_LAMPORTS, type Readiness, type ReadinessCheck } from './readiness.ts';
export { signRequest, signedMessage, SIGNATURE_HEADERS, type RequestSigner } from './signing.ts';
export { sendSigned, type SignedResponse } from './client.ts';
export { buildOpenApi } from './openapi.ts';
