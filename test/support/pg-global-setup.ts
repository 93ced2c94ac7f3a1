/**
 * vitest globalSetup: starts one throwaway PostgreSQL cluster for the run and provides its URL as
 * `pgUrl` (null when the server binaries are missing), then stops it at teardown.
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBin, PG_SKIP_MESSAGE, pgRequired, startCluster, type Cluster } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
    pgUnavailableReason: string | null;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  let cluster: Cluster | null = null;
  const bin = findPostgresBin();
  if (bin === null) {
    project.provide('pgUrl', null);
    project.provide('pgUnavailableReason', PG_SKIP_MESSAGE);
    process.stdout.write(`\n${PG_SKIP_MESSAGE}${pgRequired() ? ' (BACKSTOP_REQUIRE_PG=1: they fail)' : ''}\n`);
    return () => undefined;
  }
  try {
    cluster = await startCluster(bin);
    project.provide('pgUrl', cluster.url);
    project.provide('pgUnavailableReason', null);
  } catch (err) {
    const reason = `PostgreSQL tests not run: the test cluster did not start (${(err as Error).message.split('\n')[0]})`;
    project.provide('pgUrl', null);
    project.provide('pgUnavailableReason', reason);
    process.stdout.write(`\n${reason}\n`);
  }
  return () => cluster?.stop();
}
