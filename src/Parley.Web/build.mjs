// Bundles src/ into src/Parley.Server/wwwroot: content-hashed assets under /assets (cached for a year) and an
// index.html that names them (never cached). The server's MSBuild target runs this when sources change.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../Parley.Server/wwwroot');

await rm(out, { recursive: true, force: true });
await mkdir(path.join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [path.join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: 'linked',
  entryNames: 'app-[hash]',
  outdir: path.join(out, 'assets'),
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map(file => path.basename(file));
const js = outputs.find(f => f.endsWith('.js'));
const css = outputs.find(f => f.endsWith('.css'));
if (!js || !css) throw new Error(`The bundle is missing its script or stylesheet: ${outputs.join(', ')}`);

const template = await readFile(path.join(here, 'src/index.html'), 'utf8');
await writeFile(path.join(out, 'index.html'), template.replace('{{js}}', js).replace('{{css}}', css));
console.log(`Parley web UI built into ${path.relative(process.cwd(), out)}: ${js}, ${css}`);
