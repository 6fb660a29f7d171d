"""The command line's parser: ``latentlab`` with no command, ``open``, ``train``, ``evaluate``,
``export``, ``semisup``, ``gan2d`` and ``self-test``, with their flags and help."""

from __future__ import annotations

import argparse
from dataclasses import fields
from typing import Any

from latentlab import __version__
from latentlab.cli.common import CHECKPOINT_NAME
from latentlab.cli.domains import add_domain_options
from latentlab.cli.evaluate import MAP_CHOICES
from latentlab.cli.gan2d import add_gan2d_arguments
from latentlab.cli.semisup import DEFAULT_LABELS
from latentlab.config import (
    ARCHITECTURES,
    DEVICES,
    GAN_LOSSES,
    LIKELIHOODS,
    LR_SCHEDULES,
    MODEL_FAMILIES,
    PAIRED_TASKS,
    PRECISIONS,
    ModelConfig,
)


# ------------------------------------------------------------------------------- the parser
def _default(cls: type, name: str) -> Any:
    return next(f.default for f in fields(cls) if f.name == name)


def _add_data_options(parser: argparse.ArgumentParser, required: bool) -> None:
    group = parser.add_argument_group("data")
    group.add_argument(
        "--data", metavar="SOURCE", required=required,
        help="a dataset name (digits, mnist, fashion-mnist, kmnist) or a path: a folder of IDX "
             "files, of images (class subfolders = labels) or of .txt files, a .npz/.npy file, "
             "or a .csv of pixels or text"
             + ("" if required else "; needed unless the checkpoint was trained on a "
                                    "built-in dataset or --trust-source is given"))
    if not required:
        group.add_argument("--trust-source", action="store_true",
                           help="read the data the checkpoint says it was trained on (a path "
                                "recorded in the file; a relative one is taken from the "
                                "checkpoint's folder)")
    group.add_argument("--test-fraction", type=float, metavar="F",
                       help="share held out when the source has no split of its own (0.2)")
    group.add_argument("--split-seed", type=int, dest="split_seed", metavar="N",
                       help="seed of that held-out split (0)")
    group.add_argument("--image-size", type=int, dest="size", metavar="PX",
                       help="image folders: square side the images are resized to (28)")
    group.add_argument("--colour", "--color", dest="mode", choices=("auto", "gray", "rgb"),
                       help="image folders: grey or RGB (auto: RGB when any image has colour)")
    group.add_argument("--max-words", type=int, metavar="N",
                       help="text: vocabulary size, the most frequent words (2000)")
    group.add_argument("--images-key", metavar="KEY", help=".npz: the array holding the images")
    group.add_argument("--labels-key", metavar="KEY", help=".npz: the array holding the labels")
    group.add_argument("--pairs", action="store_true", default=None,
                       help="read A → B pairs for pix2pix's --task pairs: a folder with "
                            "subfolders A/ and B/ of images with matching names, or a .npz "
                            "with arrays A and B")
    group.add_argument("--text-column", metavar="NAME", help="text CSV: the column of documents")
    group.add_argument("--label-column", metavar="NAME", help="text CSV: the column of labels")


def _add_train_parser(commands: Any) -> None:
    p = commands.add_parser(
        "train", help="train a model headless and write a checkpoint",
        description="Train an autoencoder, VAE, UMAP autoencoder, GAN, InfoGAN, conditional "
                    "GAN or VAE, progressive GAN, pix2pix or CycleGAN translator on a dataset's "
                    "train split and write DIR/checkpoint.safetensors. Settings not given start "
                    "from the ones recommended for the model and the kind of data. Progress "
                    "(epoch, loss, ETA) goes to stderr. Under torchrun it trains data-parallel "
                    "across the processes.")
    _add_data_options(p, required=True)
    add_domain_options(p)
    model = p.add_argument_group("model")
    model.add_argument("--model", dest="family", choices=tuple(MODEL_FAMILIES), default="ae",
                       help="model family (ae)")
    model.add_argument("--arch", dest="architecture", choices=tuple(ARCHITECTURES),
                       help="mlp, conv (convolutional; DCGAN for GANs) or linear (mlp)")
    model.add_argument("--latent-dim", type=int, metavar="N",
                       help=f"code size of an AE or VAE ({_default(ModelConfig, 'latent_dim')})")
    model.add_argument("--hidden", type=str, metavar="W,W",
                       help="MLP hidden layer widths (recommended: 512,256)")
    model.add_argument("--conv-channels", type=str, metavar="C,C",
                       help="convolutional channels per stride-2 stage (32,64)")
    model.add_argument("--likelihood", choices=tuple(LIKELIHOODS),
                       help="VAE decoder: bernoulli or gaussian (bernoulli); text datasets "
                            "always use multinomial")
    model.add_argument("--beta", type=float, metavar="B",
                       help="VAE, conditional VAE: weight β of the KL term (1.0)")
    model.add_argument("--gan-loss", choices=tuple(GAN_LOSSES),
                       help="GAN objective: non_saturating or saturating (cross-entropy), "
                            "least_squares, hinge or wgan_gp (λ = 10) (non_saturating)")
    model.add_argument("--noise-dim", type=int, metavar="N", help="GAN noise size (62)")
    model.add_argument("--dcgan-width", type=int, metavar="N",
                       help="DCGAN and InfoGAN (--arch conv): width of G's and D's fully "
                            "connected layer (1024)")
    model.add_argument("--categories", type=int, dest="n_categories", metavar="K",
                       help="InfoGAN: classes of the categorical code (10); conditional GAN "
                            "or VAE: the data's classes (its labels' count)")
    model.add_argument("--continuous", type=int, dest="n_continuous", metavar="N",
                       help="InfoGAN: continuous codes (2)")
    model.add_argument("--info-weight", type=float, metavar="LAMBDA",
                       help="InfoGAN: weight of the information term (recommended: 2)")
    model.add_argument("--noise-scale", type=float, metavar="SIGMA",
                       help="InfoGAN: the noise's scale beside the codes (recommended: 0.1)")
    model.add_argument("--d-steps", type=int, metavar="N",
                       help="GAN: discriminator steps per generator step (1)")
    model.add_argument("--r1", type=float, metavar="GAMMA",
                       help="GAN: R1 penalty γ/2·E‖∇D‖² on real images (0 = off)")
    model.add_argument("--instance-noise", type=float, metavar="SIGMA",
                       help="GAN: σ of Gaussian noise on every image D sees, annealed linearly "
                            "to 0 over the run (0 = off)")
    model.add_argument("--minibatch-features", type=int, metavar="B",
                       help="GAN: minibatch discrimination features on D's last hidden layer "
                            "(0 = off)")
    model.add_argument("--unrolled", type=int, metavar="K",
                       help="GAN: G's loss against D unrolled K steps ahead, back-propagated "
                            "through them (Metz et al. 2017; 0 = off)")
    tasks = "; ".join(f"{name}: {text}" for name, text in PAIRED_TASKS.items())
    model.add_argument("--task", choices=tuple(PAIRED_TASKS),
                       help=f"pix2pix: the pairs made from each image ({tasks}) "
                            f"({_default(ModelConfig, 'task')})")
    model.add_argument("--l1-weight", type=float, metavar="LAMBDA",
                       help="pix2pix: λ of the L1 term beside the adversarial one (100)")
    model.add_argument("--adversarial", action=argparse.BooleanOptionalAction,
                       help="pix2pix: --no-adversarial trains the U-Net on L1 alone, the "
                            "paper's blurry baseline (on)")
    model.add_argument("--cycle-weight", type=float, metavar="LAMBDA",
                       help="CycleGAN: λ of the cycle-consistency term (10)")
    model.add_argument("--identity-weight", type=float, metavar="W",
                       help="CycleGAN: the identity term's weight as a share of λ (0.5; 0 = "
                            "off)")
    model.add_argument("--batch-norm", action=argparse.BooleanOptionalAction,
                       help="batch normalisation in the hidden layers (recommended: on)")
    model.add_argument("--input-dropout", type=float, metavar="P",
                       help="share of input pixels or words dropped in training (recommended: "
                            "0.2 for images, 0.5 for text)")
    model.add_argument("--umap-weight", type=float, metavar="W",
                       help="UMAP autoencoder: weight of UMAP's cross-entropy against the "
                            "reconstruction (1000)")
    model.add_argument("--umap-neighbors", type=int, metavar="K",
                       help="UMAP autoencoder: neighbours of the fuzzy graph (15)")
    model.add_argument("--umap-min-dist", type=float, metavar="D",
                       help="UMAP autoencoder: UMAP's min_dist (0.1)")
    model.add_argument("--stages", type=str, metavar="S,S",
                       help="progressive GAN: the sides it grows through, doubling up to the "
                            "data's, e.g. 7,14,28 (the data's default ladder: 28×28 grows "
                            "7,14,28; 32×32 4,8,16,32)")
    model.add_argument("--minibatch-std", action=argparse.BooleanOptionalAction,
                       help="progressive GAN: D's last block also sees the batch's standard "
                            "deviation as a feature map (on)")
    model.add_argument("--pixel-norm", action=argparse.BooleanOptionalAction,
                       help="progressive GAN: G divides each pixel's features by their root "
                            "mean square (on)")
    train = p.add_argument_group("training")
    train.add_argument("--epochs", type=int, metavar="N",
                       help="passes over the train split (the recommended number for the "
                            "model and the kind of data, see the README)")
    train.add_argument("--batch-size", type=int, metavar="N",
                       help="per process (recommended for the model and data)")
    train.add_argument("--lr", type=float, dest="learning_rate", metavar="LR",
                       help="learning rate; a GAN's generator's (recommended for the model)")
    train.add_argument("--d-lr", type=float, dest="d_learning_rate", metavar="LR",
                       help="GAN: the discriminator's learning rate (2e-4)")
    train.add_argument("--lr-schedule", choices=tuple(LR_SCHEDULES),
                       help="constant or cosine decay to zero (recommended: cosine)")
    train.add_argument("--weight-decay", type=float, metavar="W",
                       help="AdamW's decoupled weight decay (recommended: 0.01 for text)")
    train.add_argument("--early-stopping", type=int, metavar="EPOCHS",
                       help="stop when the held-out loss has not improved for this many epochs "
                            "and keep the best epoch's weights; 0 = off (recommended: 8 for "
                            "text)")
    train.add_argument("--seed", type=int, metavar="N",
                       help="seed of the weights, the batches and the noise: the same seed "
                            "trains the same model (0)")
    train.add_argument("--device", choices=DEVICES, help="auto: CUDA, then MPS, then CPU (auto)")
    train.add_argument("--precision", choices=tuple(PRECISIONS),
                       help="bf16: forward passes and losses in bfloat16 mixed precision, on a "
                            "GPU with bfloat16 (Ampere or newer) or the CPU (fp32)")
    train.add_argument("--threads", type=int, dest="cpu_threads", metavar="N",
                       help="torch CPU threads (torch's default: one per core)")
    out = p.add_argument_group("output")
    out.add_argument("--out", required=True, metavar="DIR",
                     help=f"folder for {CHECKPOINT_NAME} (created if missing)")
    out.add_argument("--force", action="store_true",
                     help=f"replace an existing {CHECKPOINT_NAME} in DIR")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    out.add_argument("--half", action="store_true",
                     help="store the weights as 16-bit floats: half the file, for sharing "
                          "(a lesson's models); loading widens them back")
    # Test and audit aid for distributed runs: rank 0 writes every rank's weights digest here.
    out.add_argument("--digest-file", help=argparse.SUPPRESS)


def _add_semisup_parser(commands: Any) -> None:
    p = commands.add_parser(
        "semisup", help="what a checkpoint's encoder is worth with few labels",
        description="Semi-supervised learning with a pretrained encoder: keep the labels of N "
                    "train items, train each method with them and score it on the test split, "
                    "for several N, repeated with other picks and seeds. Methods: scratch (the "
                    "encoder's architecture from fresh weights, with a head), linear (logistic "
                    "regression on the frozen codes), knn (k-NN on the codes), finetune (the "
                    "pretrained encoder with a head, fine-tuned), propagation (labels spread "
                    "over a neighbour graph of every item's codes). References: the feature "
                    "methods on PCA of the pixels (LSA for text). Progress goes to stderr.")
    p.add_argument("checkpoint", metavar="CHECKPOINT",
                   help="a .safetensors file, or the folder train --out wrote")
    _add_data_options(p, required=False)
    p.add_argument("--labels", default=DEFAULT_LABELS, metavar="N,N",
                   help="label budgets: labels in all (per class with --per-class), or all "
                        f"({DEFAULT_LABELS})")
    p.add_argument("--per-class", action="store_true",
                   help="count --labels per class (each class gets that many)")
    p.add_argument("--methods", metavar="M,M",
                   help="scratch, linear, knn, finetune, propagation (all)")
    p.add_argument("--repeats", type=int, default=3, metavar="N",
                   help="runs of each method and budget, each with its own picks and seed (3)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="seed of the first repeat's picks and weights; repeat r uses seed + r "
                        "(0)")
    p.add_argument("--no-references", action="store_true",
                   help="skip the references on PCA of the pixels")
    p.add_argument("--json", action="store_true", help="print one JSON object (see the README)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="(auto)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="latentlab",
        description="A desktop laboratory for latent spaces: train autoencoders, VAEs and GANs "
        "live, compare their maps with PCA, and drag a point to decode it. Without a command it "
        "opens the app; the commands below work without a display.",
        epilog="Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"latentlab {__version__}")
    parser.add_argument("--exit-after-show", action="store_true",
                        help="open the window, print 'window shown' and quit (for start-up checks)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser("open", help="open a checkpoint, a lab, a lesson or a dataset in "
                                         "the app",
                            description="Check PATH (a .safetensors checkpoint, a .latentlab "
                                        "lab, a .lesson.json lesson, or a dataset file or "
                                        "folder) and open it in the app.")
    p.add_argument("file", metavar="PATH",
                   help="a checkpoint, a lab, a lesson, the folder train --out wrote, or a "
                        "dataset: a "
                        "folder of IDX files, images or .txt files, or a .npz/.npy/.csv/.tsv/"
                        "IDX file")
    p.add_argument("--exit-after-show", dest="open_exit_after_show", action="store_true",
                   help=argparse.SUPPRESS)

    _add_train_parser(commands)

    p = commands.add_parser(
        "evaluate", help="score a checkpoint's map and reconstructions against PCA",
        description="Score a checkpoint on the dataset's test split: k-NN accuracy (k = 1, 5) of "
                    "its 2-D map fitted on the train split, trustworthiness, reconstruction "
                    "error per image, and the same for PCA of the pixels (LSA for text) with as "
                    "many components; for GANs the categorical code's accuracy and the mode "
                    "coverage of generated samples; for pix2pix the L1 error of its "
                    "translations and how a classifier of the labels reads them; for CycleGAN "
                    "the cycle error and label preservation on the pair it was trained on.")
    p.add_argument("checkpoint", metavar="CHECKPOINT",
                   help="a .safetensors file, or the folder train --out wrote")
    _add_data_options(p, required=False)
    add_domain_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object (see the README)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="(auto)")
    p.add_argument("--trust-items", type=int, default=2000, metavar="N",
                   help="score trustworthiness on at most N test items, a seeded subsample "
                        "beyond (2000)")
    p.add_argument("--samples", type=int, default=10_000, metavar="N",
                   help="GANs: generated samples classified for mode coverage (10000)")
    p.add_argument("--maps", nargs="+", choices=MAP_CHOICES, metavar="MAP",
                   help="also score these nonlinear maps, fitted on train and test items "
                        f"together: {', '.join(MAP_CHOICES)}")

    p = commands.add_parser(
        "export", help="write a checkpoint's embeddings as CSV or for the Embedding Projector",
        description="Write the codes of the dataset's items with their metadata: "
                    "embeddings.csv, or the TensorFlow Embedding Projector's files (tensors.tsv, "
                    "metadata.tsv, sprite.png, projector_config.pbtxt and .json).")
    p.add_argument("checkpoint", metavar="CHECKPOINT",
                   help="a .safetensors file, or the folder train --out wrote")
    _add_data_options(p, required=False)
    p.add_argument("--format", dest="fmt", choices=("csv", "projector"), required=True)
    p.add_argument("--out", required=True, metavar="DIR", help="folder (created if missing)")
    p.add_argument("--split", choices=("all", "train", "test"), default="all",
                   help="which items (all)")
    p.add_argument("--force", action="store_true", help="replace existing files in DIR")
    p.add_argument("--device", choices=DEVICES, default="auto", help="(auto)")

    _add_semisup_parser(commands)

    p = commands.add_parser(
        "gan2d", help="train a GAN on a 2-D toy distribution and count the modes it covers",
        description="Train a GAN on a 2-D toy distribution (a ring or a grid of Gaussians, …) "
                    "and report VEEGAN's mode metrics from --samples generated points: modes "
                    "captured, the share of high-quality samples (within 3σ of a mode), the "
                    "reverse KL of the captured modes from uniform, and GAN Lab's KL and JS "
                    "on a 30×30 grid. Progress goes to stderr.")
    add_gan2d_arguments(p)

    commands.add_parser(
        "self-test",
        help="train one short epoch, decode, project, open the window offscreen; "
        "print a one-line verdict and exit 0 (works) or 1 (broken)",
    )
    return parser


