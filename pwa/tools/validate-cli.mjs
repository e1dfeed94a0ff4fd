// Reads [{schema, data, resident?}] as JSON on stdin, prints the phone's errors for each
// (the parity test); `resident` is the one a record is about, as the phone stores it.
import { validateRecord, validateResident, validateHousehold } from '../js/validate.js';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const run = { record: validateRecord, resident: validateResident, household: validateHousehold };
process.stdout.write(JSON.stringify(cases.map((c) => run[c.schema](c.data, c.resident))));
