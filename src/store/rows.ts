/** Column conversions shared by the SQL repositories (both engines store the same text forms). */
import { canonicalize } from '../policy/jcs.ts';
import { toJsonValue, type JsonInput } from './audit.ts';

export const iso = (d: Date): string => d.toISOString();
export const date = (v: unknown): Date => new Date(String(v));
export const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(String(v)));
export const num = (v: unknown): number => Number(v);
export const big = (v: unknown): bigint => BigInt(String(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const bytes = (v: unknown): Uint8Array => new Uint8Array(v as Uint8Array);
export const jsonText = (v: JsonInput): string => canonicalize(toJsonValue(v));
