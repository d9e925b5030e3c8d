// Validates an OpenAPI document read from stdin with @seriousme/openapi-schema-validator (an ES
// module, which Jest's CommonJS runtime cannot load: specs run this in a child process); the
// validator also resolves every $ref. Prints { valid, errors } as JSON.
'use strict';

async function main() {
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const document = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const result = await new Validator().validate(document);
  process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors ?? [] }));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
