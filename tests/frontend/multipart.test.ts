import { describe, expect, it } from 'vitest';
import { compileText, jsonOf } from '../helpers/compile.ts';

/** An intent's `multipart:` mapping: carried to the IR when sound, MIDL1415 with the reason for each bad use. */
const schema = (http: string, multipart: string) => `package tools.registry;
version "1.0.0";

struct Register {
  corpusId: string @1;
  openapi: json @2;
  logo: json @3;
}

intent tools.register {
  body: Register;
  http: ${http};
  multipart: ${multipart};
  service: tools_factory;
}
`;

const POST = 'POST "/tools/register?corpusId={corpusId}"';

describe('intent multipart mapping', () => {
  it('names body fields and their file parts in the IR', () => {
    const result = compileText(schema(POST, 'openapi "openapi_file", logo "logo.file"'));
    expect(jsonOf(result.diagnostics)).toEqual([]);
    expect(result.ir.intents[0]!.http.fileParts).toEqual([
      { field: 'openapi', part: 'openapi_file' },
      { field: 'logo', part: 'logo.file' },
    ]);
  });

  it.each([
    [POST, 'openapi', "'multipart' takes a body field and a quoted part name"],
    [POST, 'openapi "open api"', "part name 'open api' is not 1-64 of [A-Za-z0-9_.-]"],
    [POST, 'corpusId "c"', "'corpusId' is a path or query parameter, not sent in the body"],
    [POST, 'openapi "a", logo "a"', `'logo' "a" repeats a field or a part name`],
    ['GET "/tools"', 'openapi "openapi_file"', 'a GET request has no body to send as multipart/form-data'],
  ])('%s with multipart: %s is MIDL1415: %s', (http, multipart, reason) => {
    const diagnostics = jsonOf(compileText(schema(http, multipart)).diagnostics);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([['MIDL1415', `invalid multipart mapping: ${reason}`]]);
  });
});
