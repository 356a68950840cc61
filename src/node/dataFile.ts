/**
 * Reading training data from disk (Node only): a dtlens dataset (.safetensors), or a DTI trajectory file
 * (.pkl, .gz, .xz) recorded on a given env. Errors name the file.
 */
import { check } from '../errors.ts';
import { makeEnv } from '../env/index.ts';
import { readDtiTrajectories } from '../io/dtiTrajectories.ts';
import { type Dataset, datasetFromDti, readDataset } from '../train/dataset.ts';
import { nameFile, readFileChecked } from './modelFile.ts';

/** A dtlens dataset, or a DTI trajectory file recorded on env `envId`; the env must match the data's. */
export async function loadDataset(path: string, envId: string): Promise<Dataset> {
  const bytes = readFileChecked(path, 'data file');
  const isSafetensors = bytes.length >= 9 && bytes[8] === 0x7b; // u64 header length, then '{'
  try {
    if (isSafetensors) {
      const ds = readDataset(bytes);
      check(
        ds.env.envId === envId,
        'BAD_INPUT',
        `--env ${envId} does not match the dataset's env ${ds.env.envId}`,
      );
      return ds;
    }
    const ds = datasetFromDti(await readDtiTrajectories(bytes), makeEnv(envId).nActions);
    return { ...ds, env: { ...ds.env, envId } };
  } catch (e) {
    throw nameFile(e, path);
  }
}
