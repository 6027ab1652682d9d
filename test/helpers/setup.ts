// Runs in every test file (vitest setupFiles): temp folders made with tempDir() go when the file ends.
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp.ts';

afterAll(removeTempDirs);
