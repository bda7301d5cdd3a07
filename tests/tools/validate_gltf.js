// Validate a .glb/.gltf with the Khronos glTF validator; prints the report as JSON.
// Usage: NODE_PATH=<folder with node_modules> node validate_gltf.js FILE
const validator = require("gltf-validator");
const fs = require("fs");

const file = process.argv[2];
const bytes = new Uint8Array(fs.readFileSync(file));
validator
  .validateBytes(bytes, { maxIssues: 500 })
  .then((report) => {
    const issues = report.issues;
    console.log(JSON.stringify({
      errors: issues.numErrors,
      warnings: issues.numWarnings,
      infos: issues.numInfos,
      hints: issues.numHints,
      messages: issues.messages.slice(0, 50),
    }));
  })
  .catch((error) => {
    console.error("validator failed: " + error);
    process.exit(2);
  });
