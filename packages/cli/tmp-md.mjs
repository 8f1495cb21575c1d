import { readFileSync } from 'node:fs';
import { markdownForTerminal } from './src/markdown.mjs';
console.log(markdownForTerminal(readFileSync(process.argv[2],'utf8'), { color: process.argv[3]==='c', width: Number(process.argv[4]||100) }));
