#!/usr/bin/env bash
# Regenerates the sample phantom videos and their *.truth.json sidecars.
# Seeds 11-17 are not used by the training set of the default model (its clip seeds are >= 33600000).
# Each affected leg expresses dystonia in its own way (docs/severity_rule.md).
set -euo pipefail
cd "$(dirname "$0")"
P="${POSESCORE:-posescore} phantom --out ."
$P --name normal_sagittal_right      --side none  --severity 0 --view sagittal_right --seed 11
$P --name left_s2_sagittal_left      --side left  --severity 2 --view sagittal_left  --seed 12 --expression-family equinus_swing
$P --name right_s3_sagittal_right    --side right --severity 3 --view sagittal_right --seed 13 --expression-family stiff_knee
$P --name right_s4_frontal           --side right --severity 4 --view frontal        --seed 14 --expression-family equinovarus
$P --name left_s1_sagittal_left      --side left  --severity 1 --view sagittal_left  --seed 15 --expression-family striatal_toe
$P --name right_s2_across            --side right --severity 2 --view sagittal_right --walk across --seed 17 --expression-family crouch
# a pre/post pair of the same figure (same seed): severity 3 before treatment, 1 after
$P --name patient16_pre              --side left  --severity 3 --view sagittal_left  --seed 16 --expression-family hyperextension
$P --name patient16_post             --side left  --severity 1 --view sagittal_left  --seed 16 --expression-family hyperextension
