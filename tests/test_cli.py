"""The command line, run in-process through ``main(argv)`` (and once as ``python -m latentlab``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from latentlab.cli import main
from latentlab.cli.common import CHECKPOINT_NAME
from latentlab.core.files.checkpoint import load_checkpoint
from tests.cli_helpers import TINY, one_error_line, run


def test_train_writes_a_checkpoint_that_loads(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", "--model", "vae", "--data", "digits", "--latent-dim",
                         "3", "--epochs", "2", *TINY, "--beta", "0.5", "--out",
                         str(tmp_path / "vae"))
    assert code == 0, err
    path = Path(out.strip())
    assert path == (tmp_path / "vae" / CHECKPOINT_NAME).resolve()
    checkpoint = load_checkpoint(path)
    meta = checkpoint.meta
    assert meta.model.family == "vae" and meta.model.latent_dim == 3 and meta.model.beta == 0.5
    assert meta.model.hidden == (32,) and meta.train.batch_size == 128 and meta.epoch == 2
    assert meta.data["source"] == "digits" and meta.input_shape == (1, 8, 8)
    assert {"train_loss", "test_loss", "train_kl", "test_recon"} <= set(meta.metrics)
    # Progress on stderr: the start, one line per epoch, the summary.
    assert "epoch 1/2: loss" in err and "epoch 2/2: loss" in err
    assert "a VAE (MLP, latent 3) on 8×8 images of digits, epoch 2" in err


def test_same_seed_trains_the_same_checkpoint(capsys, tmp_path: Path) -> None:
    tensors = []
    for name in ("a", "b"):
        code, _, err = run(capsys, "train", "--model", "vae", "--data", "digits", "--epochs",
                           "1", *TINY, "--seed", "3", "--out", str(tmp_path / name), "--quiet")
        assert code == 0, err
        assert err == ""  # --quiet
        tensors.append(load_file(tmp_path / name / CHECKPOINT_NAME))
        losses = load_checkpoint(tmp_path / name / CHECKPOINT_NAME).meta.metrics["train_loss"]
        tensors[-1]["loss"] = np.array(losses)
    assert tensors[0].keys() == tensors[1].keys()
    assert all(np.array_equal(tensors[0][k], tensors[1][k]) for k in tensors[0])


def test_precision_flag_trains_in_bf16_and_is_saved(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", "--data", "digits", "--epochs", "1", *TINY,
                         "--device", "cpu", "--precision", "bf16", "--out", str(tmp_path / "b"))
    assert code == 0, err
    assert load_checkpoint(Path(out.strip())).meta.train.precision == "bf16"
    with pytest.raises(SystemExit) as exc:
        main(["train", "--data", "digits", "--precision", "fp16", "--out", str(tmp_path / "c")])
    assert exc.value.code == 2 and "--precision: invalid choice" in capsys.readouterr().err


def test_text_data_trains_with_word_distributions(capsys, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    words = {"space": "rocket orbit launch planet moon star", "food": "bread cheese soup apple"}
    for label, vocabulary in words.items():
        (corpus / label).mkdir(parents=True)
        for i in range(12):
            (corpus / label / f"{i}.txt").write_text(" ".join(vocabulary.split()[i % 3 :]))
    code, out, err = run(capsys, "train", "--data", str(corpus), "--epochs", "1", *TINY,
                         "--out", str(tmp_path / "text"), "--quiet")
    assert code == 0, err
    assert load_checkpoint(out.strip()).meta.model.likelihood == "multinomial"
    # A recorded path is read only when the user says so.
    code, report, err = run(capsys, "evaluate", out.strip(), "--json", "--trust-source")
    assert code == 0, err
    result = json.loads(report)
    assert result["maps"]["pca"]["method"] == "LSA of TF-IDF"
    assert result["reconstruction_sse_per_image"]["pca_method"] == "LSA of TF-IDF"
    code, _, err = run(capsys, "train", "--data", str(corpus), "--likelihood", "bernoulli",
                       "--out", str(tmp_path / "text2"))
    assert code == 2 and "multinomial" in one_error_line(err)
    assert not (tmp_path / "text2").exists()  # nothing left behind


@pytest.mark.parametrize(("argv", "words"), [
    (["--latent-dim", "0"], "Latent size: must be at least 1"),
    (["--hidden", "64,x"], "--hidden: expected whole numbers"),
    (["--epochs", "0"], "Epochs: must be at least 1"),
    (["--test-fraction", "1.5"], "--test-fraction must lie in"),
    (["--model", "infogan", "--categories", "1"], "Categories K"),
    (["--model", "infogan", "--noise-scale", "0"], "Noise scale: must be positive"),
])
def test_settings_that_cannot_work_are_usage_errors(capsys, tmp_path: Path, argv: list[str],
                                                    words: str) -> None:
    code, out, err = run(capsys, "train", "--data", "digits", *argv, "--out", str(tmp_path / "o"))
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert line.startswith("latentlab train: error: ") and words in line
    assert not (tmp_path / "o").exists()


def test_conv_on_small_images_is_refused_naming_the_data(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "train", "--data", "digits", "--arch", "conv", "--out",
                       str(tmp_path / "o"))
    assert code == 2 and "digits: Architecture: convolutional models need images of at least" \
        in one_error_line(err)


def test_argparse_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "--model", "pca", "--data", "digits", "--out", "x"])
    assert exc.value.code == 2 and "invalid choice: 'pca'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["evaluate"])
    assert exc.value.code == 2


def test_bad_input_fails_with_one_line_naming_the_file(capsys, tmp_path: Path,
                                                       trained: Path) -> None:
    missing = tmp_path / "no-such-folder"
    code, out, err = run(capsys, "train", "--data", str(missing), "--out", str(tmp_path / "o"))
    assert code == 1 and out == "" and str(missing) in one_error_line(err)
    assert not (tmp_path / "o").exists()

    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    code, _, err = run(capsys, "evaluate", str(corrupt), "--data", "digits")
    line = one_error_line(err)
    assert code == 1 and str(corrupt) in line and "not a safetensors file" in line

    code, _, err = run(capsys, "evaluate", str(tmp_path / "absent.safetensors"))
    assert code == 1 and "absent.safetensors: no such file" in one_error_line(err)

    # A checkpoint for 8×8 images against 16×16 ones.
    other = tmp_path / "big.npz"
    np.savez(other, x=np.random.default_rng(0).random((20, 16, 16)).astype(np.float32))
    code, _, err = run(capsys, "evaluate", str(trained), "--data", str(other))
    line = one_error_line(err)
    assert code == 1 and str(trained) in line and "8×8 images" in line and "16×16" in line
    code, _, err = run(capsys, "export", str(trained), "--data", str(other), "--format", "csv",
                       "--out", str(tmp_path / "exp"))
    assert code == 1 and "16×16" in one_error_line(err) and not (tmp_path / "exp").exists()


def test_unwritable_out_dir_and_existing_checkpoint(capsys, tmp_path: Path,
                                                    trained: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "train", "--data", "digits", "--out", str(blocker))
    assert code == 1 and f"{blocker}: exists and is not a folder" in one_error_line(err)
    code, _, err = run(capsys, "train", "--data", "digits", "--out", str(blocker / "sub"))
    assert code == 1 and "cannot write there" in one_error_line(err)
    assert blocker.read_text() == "not a folder"

    before = trained.read_bytes()
    code, _, err = run(capsys, "train", "--data", "digits", "--epochs", "1",
                       "--out", str(trained.parent))
    assert code == 1 and "already exists; pass --force" in one_error_line(err)
    assert trained.read_bytes() == before  # nothing overwritten


def test_evaluate_prints_a_table_and_json(capsys, trained: Path) -> None:
    code, out, err = run(capsys, "evaluate", str(trained))  # the data recorded in the checkpoint
    assert code == 0, err
    assert "1-NN accuracy" in out and "PCA of pixels" in out and "reconstruction SSE" in out
    assert "sample quality: Fréchet distance" in out and "(the floor)" in out
    code, out, err = run(capsys, "evaluate", str(trained), "--data", "digits", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["schema"] == 1
    assert result["model"]["family"] == "ae" and result["model"]["epoch"] == 2
    assert result["model"]["checkpoint"] == str(trained.resolve())
    assert result["data"]["source"] == "digits" and result["data"]["n_test"] == 359
    for name in ("latent", "pca"):
        scores = result["maps"][name]
        assert set(scores) >= {"method", "knn1", "knn5", "trustworthiness"}
        assert all(0 <= scores[k] <= 1 for k in ("knn1", "knn5", "trustworthiness"))
    assert result["maps"]["latent"]["method"] == "codes"
    recon = result["reconstruction_sse_per_image"]
    assert recon["model"] > 0 and recon["pca"] > 0 and recon["pca_components"] == 2
    assert result["infogan"] is None
    quality = result["sample_quality"]
    assert quality["samples"] == 5000 and quality["real_items"] == 359
    assert 0 <= quality["frechet_distance_train_vs_test"] < quality["frechet_distance"]


def test_evaluate_scores_a_tsne_map_of_the_codes_beside_the_others(capsys, trained: Path
                                                                   ) -> None:
    code, out, err = run(capsys, "evaluate", str(trained), "--maps", "tsne-codes", "--json")
    assert code == 0, err
    assert "t-SNE of codes" in err  # progress, on stderr
    tsne = json.loads(out)["maps"]["tsne_codes"]
    assert tsne["method"].startswith("t-SNE of codes")
    assert all(0 <= tsne[k] <= 1 for k in ("knn1", "knn5", "trustworthiness"))
    assert tsne["test_items"] == 359 and tsne["train_items"] == 1797 - 359
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", str(trained), "--maps", "pca-codes"])
    assert exc.value.code == 2 and "invalid choice: 'pca-codes'" in capsys.readouterr().err


def test_evaluate_infogan_reports_categories_and_mode_coverage(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "train", "--model", "infogan", "--data", "digits", "--epochs",
                         "1", *TINY, "--noise-dim", "8", "--out", str(tmp_path), "--quiet")
    assert code == 0, err
    code, out, err = run(capsys, "evaluate", out.strip(), "--json", "--samples", "500")
    assert code == 0, err
    result = json.loads(out)
    gan = result["infogan"]
    assert 0 <= gan["category_accuracy"] <= 1 and 1 <= gan["classes_covered"] <= 10
    assert gan["class_kl"] >= 0 and gan["samples"] == 500
    assert result["reconstruction_sse_per_image"] is None
    assert result["maps"]["latent"]["method"] == "Q's continuous codes"
    assert result["sample_quality"]["sampling"] == "prior"
    assert result["sample_quality"]["frechet_distance"] >= 0


def test_export_writes_csv_and_projector_files(capsys, tmp_path: Path, trained: Path) -> None:
    code, out, err = run(capsys, "export", str(trained), "--format", "projector",
                         "--out", str(tmp_path))
    assert code == 0, err
    assert sorted(Path(p).name for p in out.split()) == sorted(
        ["tensors.tsv", "metadata.tsv", "sprite.png", "projector_config.pbtxt",
         "projector_config.json"])
    assert np.loadtxt(tmp_path / "tensors.tsv").shape == (1797, 2)
    # Exporting again refuses to overwrite, and says how to.
    code, _, err = run(capsys, "export", str(trained), "--format", "projector",
                       "--out", str(tmp_path))
    assert code == 1 and "already exists; pass --force" in one_error_line(err)
    code, out, err = run(capsys, "export", str(trained), "--format", "csv", "--split", "test",
                         "--out", str(tmp_path))
    assert code == 0, err
    lines = (tmp_path / "embeddings.csv").read_text().splitlines()
    assert lines[0] == "index,split,label,z1,z2,map_x,map_y" and len(lines) == 360


def test_open_checks_the_file_before_the_gui(capsys, monkeypatch, tmp_path: Path,
                                             trained: Path) -> None:
    calls: list[dict] = []
    monkeypatch.setattr("latentlab.qt.app.run_gui", lambda **kw: calls.append(kw) or 0)
    assert run(capsys, "open", str(trained))[0] == 0
    assert calls[-1]["open_path"] == trained
    broken = tmp_path / "broken.latentlab"
    broken.write_text("{]")
    code, _, err = run(capsys, "open", str(broken))
    assert code == 1 and str(broken) in one_error_line(err) and len(calls) == 1
    lab = tmp_path / "moved.latentlab"
    lab.write_text(json.dumps({"kind": "latentlab lab", "version": 1,
                               "dataset": {"source": str(tmp_path / "gone")}}))
    code, _, err = run(capsys, "open", str(lab))  # the app asks where the dataset went
    assert code == 0 and "missing" in err and calls[-1]["open_path"] == lab
    code, _, err = run(capsys, "open", str(tmp_path / "notes.txt"))
    assert code == 1 and "no such file" in one_error_line(err)


def test_open_takes_datasets_and_names_what_it_refuses(capsys, monkeypatch,
                                                       tmp_path: Path) -> None:
    calls: list[dict] = []
    monkeypatch.setattr("latentlab.qt.app.run_gui", lambda **kw: calls.append(kw) or 0)
    corpus = tmp_path / "corpus" / "games"
    corpus.mkdir(parents=True)
    (corpus / "chess.txt").write_text("a game of chess")
    arrays = tmp_path / "arrays.npz"
    np.savez(arrays, x=np.zeros((4, 8, 8), np.uint8))
    for dataset in (corpus.parent, arrays):
        assert run(capsys, "open", str(dataset))[0] == 0
        assert calls[-1]["open_path"] == dataset
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "notes.doc").write_text("not data")
    for path, reason in ((empty, "the folder holds no IDX, image or .txt files"),
                         (tmp_path / "notes.doc", "unsupported file type")):
        code, _, err = run(capsys, "open", str(path))
        line = one_error_line(err)
        assert code == 1 and f"{path}: {reason}" in line and "a dataset" in line
    assert len(calls) == 2


@pytest.mark.slow
def test_python_dash_m_latentlab_trains(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "latentlab", "train", "--data", "digits", "--epochs", "1",
         *TINY, "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == (tmp_path / CHECKPOINT_NAME).resolve()
    assert "epoch 1/1: loss" in result.stderr
    load_checkpoint(tmp_path / CHECKPOINT_NAME)


def test_open_checks_a_lesson_before_the_gui(capsys, monkeypatch, tmp_path: Path) -> None:
    from latentlab.lab.lessons import builtin_lessons

    calls: list[dict] = []
    monkeypatch.setattr("latentlab.qt.app.run_gui", lambda **kw: calls.append(kw) or 0)
    lesson = builtin_lessons()[0]
    assert run(capsys, "open", str(lesson))[0] == 0 and calls[-1]["open_path"] == lesson
    bad = tmp_path / "bad.lesson.json"
    bad.write_text(json.dumps({"kind": "latentlab lesson", "version": 1, "title": "t",
                               "steps": [{"title": "s", "setup": {"controls": ["nope"]}}]}))
    code, _, err = run(capsys, "open", str(bad))
    line = one_error_line(err)
    assert code == 1 and str(bad) in line and "step 1" in line and "nope" in line
    assert len(calls) == 1
