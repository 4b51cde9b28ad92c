import { describe, expect, it } from '@jest/globals';
import { decodePackedVoteRequest, encodePackedVoteRequest } from './votes.js';

describe('packed vote requests', () => {
  const features = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);

  it('round-trips the dataset, the ids in order and the float32 values exactly', () => {
    const body = encodePackedVoteRequest('mnist', [
      { queryId: 'q-1', features: features([0.5, -1, 3.25]) },
      { queryId: 'ünïcode', features: features([1e-30, 7, Number.MAX_VALUE]) },
    ]);
    const decoded = decodePackedVoteRequest(body);
    if (typeof decoded === 'string') throw new Error(decoded);
    expect(decoded.header).toEqual({ dataset: 'mnist', queryIds: ['q-1', 'ünïcode'], valuesPerQuery: 3 });
    expect(Array.from(new Float32Array(new Uint8Array(decoded.features).buffer))).toEqual(
      Array.from(new Float32Array([0.5, -1, 3.25, 1e-30, 7, Number.MAX_VALUE])),
    );
  });

  it('refuses queries of different sizes when packing', () => {
    expect(() =>
      encodePackedVoteRequest('d', [
        { queryId: 'a', features: features([1, 2]) },
        { queryId: 'b', features: features([1]) },
      ]),
    ).toThrow(RangeError);
  });

  it('names the problem of a malformed body without quoting it', () => {
    const good = encodePackedVoteRequest('d', [{ queryId: 'a', features: features([1, 2]) }]);
    const withHeader = (header: string) => {
      const bytes = Buffer.from(header, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return Buffer.concat([Buffer.from('CVQ1'), length, bytes]);
    };
    expect(decodePackedVoteRequest(Buffer.from('secret-value'))).toMatch(/magic/);
    expect(decodePackedVoteRequest(good.subarray(0, good.length - 1))).toMatch(/float32 values/);
    expect(decodePackedVoteRequest(Buffer.concat([good, Buffer.alloc(4)]))).toMatch(/float32 values/);
    const hugeLength = Buffer.from(good);
    hugeLength.writeUInt32LE(0xffffffff, 4);
    expect(decodePackedVoteRequest(hugeLength)).toMatch(/header length/);
    expect(decodePackedVoteRequest(withHeader('{not json'))).toMatch(/not JSON/);
    expect(decodePackedVoteRequest(withHeader('[1]'))).toMatch(/object/);
    expect(decodePackedVoteRequest(withHeader('{"dataset":"d","queryIds":[],"valuesPerQuery":1,"x":1}'))).toMatch(
      /property x/,
    );
    expect(decodePackedVoteRequest(withHeader('{"dataset":1,"queryIds":[],"valuesPerQuery":1}'))).toMatch(/dataset/);
    expect(decodePackedVoteRequest(withHeader('{"dataset":"d","queryIds":[2],"valuesPerQuery":1}'))).toMatch(
      /queryIds/,
    );
    expect(decodePackedVoteRequest(withHeader('{"dataset":"d","queryIds":["a"],"valuesPerQuery":0}'))).toMatch(
      /valuesPerQuery/,
    );
    for (const body of [Buffer.from('secret-value'), withHeader('{"secret-value"')]) {
      expect(decodePackedVoteRequest(body)).not.toContain('secret');
    }
  });
});
