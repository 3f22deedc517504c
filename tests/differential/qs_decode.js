#!/usr/bin/env node
// Reference decoder for the differential tests: reads a JSON array of query strings on stdin and
// prints a JSON array with, for each string, what Express 4.22 hands a Feathers app:
// qs.parse(s, {allowPrototypes: true, arrayLimit: 1000}).
//
// qs is found through QUERYLANG_QS_PATH (a directory or file to require) or require('qs').
// Each result is {"ok": value} or {"error": message}, so one bad input cannot sink the batch.
'use strict';

let qs;
try {
    qs = require(process.env.QUERYLANG_QS_PATH || 'qs');
} catch (error) {
    process.stderr.write('cannot require qs: ' + error.message + '\n');
    process.exit(3);
}

if (process.argv.includes('--version')) {
    let version = 'unknown';
    try {
        const base = process.env.QUERYLANG_QS_PATH || 'qs';
        version = require(require('path').join(base, 'package.json')).version;
    } catch (error) {
        // The version is informational only.
    }
    process.stdout.write(JSON.stringify({ qs: version }) + '\n');
    process.exit(0);
}

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
    const inputs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const results = inputs.map((text) => {
        try {
            return { ok: qs.parse(text, { allowPrototypes: true, arrayLimit: 1000 }) };
        } catch (error) {
            return { error: String(error && error.message) };
        }
    });
    process.stdout.write(JSON.stringify(results));
});
