#!/usr/bin/env bash
# Build the one-folder app (packaging/dist/latentlab/) from a clean virtual environment.
#
#   packaging/build.sh                        CPU-only torch: the small bundle for classrooms
#   LATENTLAB_TORCH=torch packaging/build.sh  a CUDA build of torch from PyPI (a far larger bundle)
#
# LATENTLAB_TORCH is what `pip install` gets for torch; the default takes the CPU-only wheel from
# PyTorch's own index. Prints the build time and the bundle's size at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
venv=${LATENTLAB_BUILD_VENV:-$here/build/venv}
read -r -a torch_req <<< "${LATENTLAB_TORCH:-torch --index-url https://download.pytorch.org/whl/cpu}"

start=$(date +%s)
python3 -m venv --clear "$venv"
"$venv/bin/pip" install --quiet "${torch_req[@]}"
"$venv/bin/pip" install --quiet "$root" "pyinstaller>=6.10" "pyinstaller-hooks-contrib>=2024.10"
cd "$here"
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$here/dist" --workpath "$here/build/work" latentlab.spec
end=$(date +%s)
echo "built packaging/dist/latentlab in $((end - start)) s; size: $(du -sh "$here/dist/latentlab" | cut -f1)"
