/**
 * Typed store errors. `StoreUnavailable` means "the database could not be reached or was busy; retry
 * later" (the HTTP layer answers 503); every other error is a domain refusal that retrying cannot
 * change (409, 404, …). Messages name the record and never carry key material.
 */

/** The database could not be reached, the connection dropped, or it stayed busy past the bounded wait. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
  constructor(message: string, readonly causeText?: string) {
    super(message);
  }
}

/** A unique record already exists (e.g. a loss event with the same vault, signature and reserve). */
export class Conflict extends Error {
  override readonly name = 'Conflict';
  constructor(message: string, readonly existingId?: string) {
    super(message);
  }
}

/** The record is already in the state the call would put it in (e.g. closing a closed loss event): a 409. */
export class AlreadyDone extends Error {
  override readonly name = 'AlreadyDone';
}

/** No such record. */
export class NotFound extends Error {
  override readonly name = 'NotFound';
}

/** Compare-and-set failed: the proposal is no longer in the state the caller read. */
export class StaleState extends Error {
  override readonly name = 'StaleState';
  constructor(readonly rowId: number, readonly expected: string, readonly actual: string) {
    super(`proposal row ${rowId} is ${actual}, not ${expected}; re-read it and decide again`);
  }
}

/** The caller's validator refused a transition (the refusal itself is audit-logged). */
export class InvalidTransition extends Error {
  override readonly name = 'InvalidTransition';
  constructor(readonly rowId: number, readonly from: string, readonly to: string, reason: string) {
    super(`proposal row ${rowId}: ${from} → ${to} refused: ${reason}`);
  }
}

/** Another backstop instance holds the database (docs/storage.md: one active instance per database). */
export class InstanceLocked extends Error {
  override readonly name = 'InstanceLocked';
  constructor(readonly holder: string, database: string) {
    super(
      `another backstop instance (${holder}) is active on ${database}; stop it first, or point this one at another database`,
    );
  }
}

/** The database was written by a newer backstop than this one. */
export class SchemaTooNew extends Error {
  override readonly name = 'SchemaTooNew';
  constructor(readonly found: number, readonly known: number) {
    super(`database schema version ${found} is newer than this backstop (${known}); upgrade backstop`);
  }
}

/** A mutating method was called on a store opened without an audit key (read-only). */
export class ReadOnlyStore extends Error {
  override readonly name = 'ReadOnlyStore';
  constructor() {
    super('the store was opened read-only (no audit key); mutations need AUDIT_KEYPAIR');
  }
}

/** The audit chain does not verify with the store's own audit key: nothing may be signed from it. */
export class AuditChainBroken extends Error {
  override readonly name = 'AuditChainBroken';
  constructor(readonly seq: number, detail: string) {
    super(`the audit log does not verify at entry ${seq}: ${detail}; run \`backstop audit verify\` and restore the database from a backup before signing anything`);
  }
}
