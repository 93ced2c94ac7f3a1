import { httpBench } from './bench/http.ts';
for (const r of await httpBench()) console.log(r.name.padEnd(60), r.value, r.goal ?? '', r.ok ?? '');
