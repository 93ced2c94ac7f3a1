import { register } from 'node:module';
register('./.rss-hooks.mjs', import.meta.url);
