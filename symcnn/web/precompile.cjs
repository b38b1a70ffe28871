// Build step: add bytecode to the standard library's zip and to wheels with Pyodide's own CPython
// (symcnn/web/bytecode.py), under Node.  node precompile.cjs PYODIDE_DIR BYTECODE_PY OUT_DIR FILE.(zip|whl)...
"use strict";
const fs = require("fs");
const path = require("path");

async function main() {
  const [pyodideDir, bytecodePy, outDir, ...files] = process.argv.slice(2);
  const { loadPyodide } = require(path.resolve(pyodideDir, "pyodide.js"));
  const pyodide = await loadPyodide({ indexURL: `${path.resolve(pyodideDir)}/` });
  pyodide.FS.mkdirTree("/host");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: "/" }, "/host");
  pyodide.runPython(fs.readFileSync(bytecodePy, "utf8"));
  for (const file of files) {
    const compile = pyodide.globals.get(file.endsWith(".zip") ? "compile_stdlib" : "compile_wheel");
    const count = compile(`/host${path.resolve(file)}`, `/host${path.resolve(outDir, path.basename(file))}`);
    console.log(`${path.basename(file)}: ${count} modules compiled`);
  }
}

main().catch((error) => {
  console.error(String(error));
  process.exit(1);
});
