/**
 * Path parameters are percent-decoded by express's router while it matches a route, and a malformed
 * escape (`%ff`, `%zz`, a cut `%E0%A4%A`) throws there, before any handler. This check runs first:
 * against the app's own route patterns it finds the parameter whose escape is malformed and answers
 * 400 naming it, without quoting the bytes.
 */
import type { RequestHandler, Router } from 'express';
import { HttpError } from './errors.ts';

interface Pattern {
  readonly segments: readonly string[];
}

const decodes = (segment: string): boolean => {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
};

/** The `/a/:b/c` patterns of the routes registered on `router` so far. */
export function routePatterns(router: Router): string[] {
  const paths: string[] = [];
  for (const layer of router.stack as { route?: { path?: unknown } }[]) {
    const path = layer.route?.path;
    if (typeof path === 'string' && path.includes('/:')) paths.push(path);
  }
  return paths;
}

/** 400 `invalid-path-parameter` naming the parameter when a request's path would fail the router's decoding. */
export function checkPathParameters(patterns: readonly string[]): RequestHandler {
  const compiled: Pattern[] = patterns.map((p) => ({ segments: p.split('/') }));
  // Anything the patterns miss (a route added later) still fails in the router, as a 400 from toHttpError.
  return (req, _res, next) => {
    if (!req.path.includes('%')) return next();
    // The router matches case-insensitively and ignores one trailing slash: so does this check.
    const segments = req.path.replace(/(.)\/$/, '$1').split('/');
    for (const pattern of compiled) {
      if (pattern.segments.length !== segments.length) continue;
      const literalsMatch = pattern.segments.every((p, i) => p.startsWith(':') || p.toLowerCase() === segments[i]!.toLowerCase());
      if (!literalsMatch) continue;
      const bad = pattern.segments.findIndex((p, i) => p.startsWith(':') && !decodes(segments[i]!));
      if (bad >= 0) {
        const name = pattern.segments[bad]!.slice(1);
        return next(new HttpError(400, 'invalid-path-parameter', `path parameter ${name} is not valid percent-encoded UTF-8 (a malformed %XX escape)`));
      }
    }
    next();
  };
}
