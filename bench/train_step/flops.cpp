// Analytic FLOP count. What is counted: every matrix product and convolution, 2 FLOPs per multiply-add:
//   Linear(i, o) on n rows: 2 n i o;  attention per block and window: 2 L^2 d (Q K^T) + 2 L^2 d (A V);
//   Conv: 2 x outputs x (in_channels x taps).
// Not counted: FFTs, norms, softmax, GELU/tanh, embeddings, elementwise ops, the optimiser (all O(n) or
// O(n log n) and < 2 % of the matmul FLOPs here). Backward = 2 x forward for everything that needs gradients
// (input and weight gradient each cost one forward; the usual 6 N D rule, Kaplan et al. 2020, eq. 2.1), so a
// trained op costs 3x its forward FLOPs and a frozen one 1x.
//
// Per window of N = C*T tokens, L = N + 1 (CLS), width d, FFN f, depth n:
//   block(L)       = 2 L (3 d^2 + d^2 + 2 d f) + 4 L^2 d
//   patch_embed    = N [ 2 S oc 15 + 2 * 2 S oc (3 oc)            TemporalConv, S = 25 steps
//                      + wavelet convs sum_l 2 * 2^l * 2 ceil(len_l/2) * 8
//                      + 2 (P/2+1) d + 2 (2^levels bins) d      |rFFT| and wavelet projections
//                      + 2 (25 oc + d) d ]                      fusion Linear
//   backbone       = patch_embed + n block(L)
// Tokenizer step, B windows:   trained = B [backbone + N (2 d^2 + 2 d D) + N 2 D d + 3 block(L) + N 2 (2 d^2 + 2 d P)]
//                              frozen  = B N 2 D K                  (cosine code lookup, no gradient)
// Pre-training step:           frozen  = B [backbone_tok + N (2 d^2 + 2 d D) + N 2 D K]   (labels)
//                              trained = 2B backbone_student + B N 2 d K                   (symmetric pass, lm_head)
// (Model FLOPs of the step as defined: the C++ MaskedEegModel computes the mask-independent patch features once
// for B windows instead of 2B, which saves B N patch_embed x 3, about 0.5 GFLOP of ~74 for base; not subtracted.)
#include "flops.h"

namespace efm::bench {

namespace {

double block_flops(double l, double d, double f) {
  return 2.0 * l * (4.0 * d * d + 2.0 * d * f) + 4.0 * l * l * d;
}

double patch_embed_flops_per_token(const models::BackboneOptions& o) {
  const double d = static_cast<double>(o.embed_dim());
  const double oc = static_cast<double>(o.out_chans());
  const double p = static_cast<double>(o.patch_samples());
  const double s = static_cast<double>((o.patch_samples() - 1) / 8 + 1);  // TemporalConv steps (25 for P 200)
  double flops = 2.0 * s * oc * 15.0 + 2.0 * 2.0 * s * oc * 3.0 * oc;
  double fused_in = s * oc;
  if (o.use_spectral() && (o.use_fft() || o.use_wavelet())) {
    if (o.use_wavelet()) {
      int64_t len = o.patch_samples();
      for (int64_t l = 0; l < o.wavelet_levels(); ++l) {
        const int64_t out_len = (len + 1) / 2;
        flops += 2.0 * static_cast<double>(int64_t{1} << l) * 2.0 * static_cast<double>(out_len) * 8.0;
        len = out_len;
      }
      flops += 2.0 * static_cast<double>((int64_t{1} << o.wavelet_levels()) * o.wavelet_pool_bins()) * d;
    }
    if (o.use_fft()) flops += 2.0 * (p / 2.0 + 1.0) * d;
    fused_in += d;
  }
  if (fused_in != d) flops += 2.0 * fused_in * d;
  return flops;
}

}  // namespace

double backbone_forward_flops(const models::BackboneOptions& o, int64_t tokens) {
  const double n = static_cast<double>(tokens);
  return n * patch_embed_flops_per_token(o) +
         static_cast<double>(o.depth()) *
             block_flops(n + 1.0, static_cast<double>(o.embed_dim()), static_cast<double>(o.ffn_dim()));
}

StepFlops tokenizer_step_flops(const models::TokenizerOptions& o, const StepGeometry& g) {
  const double b = static_cast<double>(g.batch);
  const double n = static_cast<double>(g.tokens());
  const double d = static_cast<double>(o.encoder().embed_dim());
  const double dc = static_cast<double>(o.vq().code_dim());
  const double k = static_cast<double>(o.vq().n_codes());
  const double p = static_cast<double>(o.encoder().patch_samples());
  const double task_layer = n * (2.0 * d * d + 2.0 * d * dc);
  const double decoder =
      n * 2.0 * dc * d +
      static_cast<double>(o.decoder_depth()) * block_flops(n + 1.0, d, static_cast<double>(o.encoder().ffn_dim())) +
      n * 2.0 * (2.0 * d * d + 2.0 * d * p);
  StepFlops f;
  f.trained_forward = b * (backbone_forward_flops(o.encoder(), g.tokens()) + task_layer + decoder);
  f.frozen_forward = b * n * 2.0 * dc * k;
  return f;
}

StepFlops pretrain_step_flops(const models::TokenizerOptions& tok, const models::BackboneOptions& student,
                              int64_t codebook_size, const StepGeometry& g) {
  const double b = static_cast<double>(g.batch);
  const double n = static_cast<double>(g.tokens());
  const double d_tok = static_cast<double>(tok.encoder().embed_dim());
  const double dc = static_cast<double>(tok.vq().code_dim());
  StepFlops f;
  f.frozen_forward =
      b * (backbone_forward_flops(tok.encoder(), g.tokens()) + n * (2.0 * d_tok * d_tok + 2.0 * d_tok * dc) +
           n * 2.0 * dc * static_cast<double>(tok.vq().n_codes()));
  f.trained_forward = 2.0 * b * backbone_forward_flops(student, g.tokens()) +
                      b * n * 2.0 * static_cast<double>(student.embed_dim()) * static_cast<double>(codebook_size);
  return f;
}

std::string flops_formula_text() {
  return "model FLOPs = 3 x forward matmul/conv FLOPs of trained ops + 1 x frozen ones (2 FLOPs per multiply-add;\n"
         "  per block 2L(4d^2 + 2df) + 4L^2 d with L = C*T + 1; + patch embedding convs/Linears; + heads;\n"
         "  pre-training: 2B windows through the student (symmetric pass) + lm_head on B*C*T tokens,\n"
         "  frozen tokenizer labels and the VQ lookup forward only; FFT/norm/softmax/elementwise not counted)";
}

}  // namespace efm::bench
