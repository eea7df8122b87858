#include "epilepsyfm/models/vq.h"

#include <cmath>

#include "epilepsyfm/core/check.h"
#include "epilepsyfm/models/signal_spec.h"
#include "models/detail/float32_scope.h"

namespace efm::models {

namespace F = torch::nn::functional;

namespace {

torch::Tensor l2n(const torch::Tensor& t) {
  return F::normalize(t, F::NormalizeFuncOptions().p(2).dim(-1));
}

// `num` rows of `samples`: without replacement when possible (LaBraM sample_vectors).
torch::Tensor sample_rows(const torch::Tensor& samples, int64_t num) {
  const int64_t m = samples.size(0);
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(samples.device());
  auto idx = m >= num ? torch::randperm(m, opts).slice(0, 0, num) : torch::randint(m, {num}, opts);
  return samples.index_select(0, idx);
}

// k-means++ seeding (Arthur & Vassilvitskii 2007) with distance 1 - cos between unit vectors.
torch::Tensor plus_plus_seeds(const torch::Tensor& samples, int64_t k) {
  const int64_t m = samples.size(0);
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(samples.device());
  auto chosen = torch::empty({k}, opts);
  chosen[0] = torch::randint(m, {1}, opts)[0];
  auto best = torch::full({m}, 2.0, samples.options());  // min distance to a chosen seed, in [0, 2]
  for (int64_t i = 1; i < k; ++i) {
    auto d = 1.0 - torch::mv(samples, samples[chosen[i - 1].item<int64_t>()]);
    best = torch::minimum(best, d.clamp_min(0.0));
    auto w = best * best;
    // All remaining samples coincide with seeds: fall back to uniform.
    if (w.sum().item<double>() <= 0.0) w = torch::ones_like(w);
    chosen[i] = torch::multinomial(w, 1)[0];
  }
  return samples.index_select(0, chosen);
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> kmeans_cosine(const torch::Tensor& samples, int64_t n_clusters, int64_t iters,
                                                      KmeansSeeding seeding) {
  EFM_CHECK_ARG(samples.dim() == 2 && samples.size(0) > 0, "kmeans: samples have shape {}; expected [M > 0, D]",
                shape_str(samples));
  EFM_CHECK_ARG(n_clusters >= 1 && iters >= 0, "kmeans: n_clusters ({}) must be >= 1 and iters ({}) >= 0", n_clusters,
                iters);
  torch::NoGradGuard no_grad;
  const int64_t m = samples.size(0);
  auto means = (seeding == KmeansSeeding::kmeans_plus_plus && m >= n_clusters) ? plus_plus_seeds(samples, n_clusters)
                                                                               : sample_rows(samples, n_clusters);
  auto bins = torch::zeros({n_clusters}, samples.options());
  for (int64_t it = 0; it < iters; ++it) {
    auto buckets = torch::matmul(samples, means.t()).argmax(/*dim=*/1);
    bins = torch::bincount(buckets, /*weights=*/{}, /*minlength=*/n_clusters).to(samples.scalar_type());
    auto sums = torch::zeros_like(means).index_add_(0, buckets, samples);
    auto new_means = l2n(sums / bins.clamp_min(1.0).unsqueeze(1));
    means = torch::where((bins == 0).unsqueeze(1), means, new_means);
  }
  return {means, bins};
}

double perplexity_of(const torch::Tensor& counts) {
  auto c = counts.to(torch::kDouble);
  const double total = c.sum().item<double>();
  if (total <= 0.0) return 0.0;
  auto p = c / total;
  auto h = -(p * torch::log(p.clamp_min(1e-300))).sum().item<double>();
  return std::exp(h);
}

NormEMAVectorQuantizerImpl::NormEMAVectorQuantizerImpl(VectorQuantizerOptions options) : options_(options) {
  const int64_t k = options_.n_codes();
  const int64_t d = options_.code_dim();
  EFM_CHECK_ARG(k >= 1 && d >= 1, "vq: n_codes ({}) and code_dim ({}) must be >= 1", k, d);
  EFM_CHECK_ARG(options_.decay() >= 0.0 && options_.decay() < 1.0, "vq.decay ({}) must be in [0, 1)", options_.decay());
  EFM_CHECK_ARG(options_.eps() > 0.0, "vq.eps ({}) must be > 0", options_.eps());
  EFM_CHECK_ARG(options_.beta() >= 0.0, "vq.beta ({}) must be >= 0", options_.beta());
  EFM_CHECK_ARG(options_.kmeans_iters() >= 0, "vq.kmeans_iters ({}) must be >= 0", options_.kmeans_iters());
  EFM_CHECK_ARG(options_.dead_code_threshold() >= 0.0, "vq.dead_code_threshold ({}) must be >= 0",
                options_.dead_code_threshold());
  auto init = options_.kmeans_init() ? torch::zeros({k, d}) : l2n(torch::randn({k, d}));
  codebook_ = register_buffer("codebook", init);
  initialized_ = register_buffer("initialized", torch::tensor(!options_.kmeans_init()));
  cluster_size_ = register_buffer("cluster_size", torch::zeros({k}));
  if (options_.ema_rule() == EmaRule::laplace) embed_sum_ = register_buffer("embed_sum", torch::zeros({k, d}));
  usage_counts_ = register_buffer("usage_counts", torch::zeros({k}, torch::kDouble));
}

void NormEMAVectorQuantizerImpl::broadcast_state() {
  if (!hooks_.broadcast) return;
  hooks_.broadcast(codebook_);
  hooks_.broadcast(cluster_size_);
  if (embed_sum_.defined()) hooks_.broadcast(embed_sum_);
}

void NormEMAVectorQuantizerImpl::set_codebook(const torch::Tensor& codes) {
  EFM_CHECK_ARG(codes.dim() == 2 && codes.size(0) == options_.n_codes() && codes.size(1) == options_.code_dim(),
                "vq: codebook has shape {}; expected [{}, {}]", shape_str(codes), options_.n_codes(),
                options_.code_dim());
  torch::NoGradGuard no_grad;
  codebook_.copy_(l2n(codes.to(codebook_.options())));
  initialized_.fill_(true);
  cluster_size_.zero_();
  if (embed_sum_.defined()) embed_sum_.zero_();
}

void NormEMAVectorQuantizerImpl::initialize_from(const torch::Tensor& batch) {
  if (initialized()) return;
  torch::NoGradGuard no_grad;
  detail::Float32Scope float32;  // k-means assignments are argmaxes
  auto samples = l2n(batch.detach().reshape({-1, options_.code_dim()}).to(codebook_.scalar_type()));
  auto [means, bins] = kmeans_cosine(samples, options_.n_codes(), options_.kmeans_iters(), options_.kmeans_seeding());
  codebook_.copy_(means);
  cluster_size_.copy_(bins);  // LaBraM copies the k-means cluster sizes
  if (embed_sum_.defined()) embed_sum_.copy_(means * bins.unsqueeze(1));
  initialized_.fill_(true);
  broadcast_state();
}

VqStats NormEMAVectorQuantizerImpl::compute_stats(const torch::Tensor& z, const torch::Tensor& indices) const {
  torch::NoGradGuard no_grad;
  VqStats s;
  s.counts = torch::bincount(indices.reshape({-1}), /*weights=*/{}, /*minlength=*/options_.n_codes())
                 .to(codebook_.scalar_type());
  s.sums = torch::zeros_like(codebook_).index_add_(0, indices.reshape({-1}), z.reshape({-1, options_.code_dim()}));
  return s;
}

void NormEMAVectorQuantizerImpl::apply_stats(const VqStats& stats, const torch::Tensor& batch) {
  torch::NoGradGuard no_grad;
  const double decay = options_.decay();
  cluster_size_.mul_(decay).add_(stats.counts, 1.0 - decay);
  if (options_.ema_rule() == EmaRule::labram) {
    // LaBraM NormEMAVectorQuantizer.forward: batch means of used codes, EMA on the sphere, re-normalised.
    auto used = (stats.counts > 0).unsqueeze(1);
    auto means = l2n(stats.sums / stats.counts.clamp_min(1.0).unsqueeze(1));
    auto target = torch::where(used, means, codebook_);
    codebook_.copy_(l2n(codebook_ * decay + target * (1.0 - decay)));
  } else {
    // LaBraM EmbeddingEMA.weight_update (Laplace smoothing), followed by re-normalisation.
    embed_sum_.mul_(decay).add_(stats.sums, 1.0 - decay);
    const auto n = cluster_size_.sum();
    const double k = static_cast<double>(options_.n_codes());
    auto smoothed = (cluster_size_ + options_.eps()) / (n + k * options_.eps()) * n;
    auto updated = l2n(embed_sum_ / smoothed.unsqueeze(1));
    auto alive = (embed_sum_.norm(2, /*dim=*/1) > 0).unsqueeze(1);
    codebook_.copy_(torch::where(alive, updated, codebook_));
  }
  if (options_.dead_codes() == DeadCodePolicy::reseed && batch.defined() && batch.numel() > 0) {
    auto dead = (cluster_size_ < options_.dead_code_threshold()).nonzero().reshape({-1});
    const int64_t n_dead = dead.size(0);
    if (n_dead > 0) {
      auto rows = sample_rows(l2n(batch.reshape({-1, options_.code_dim()}).to(codebook_.scalar_type())), n_dead);
      const double grace = std::max(cluster_size_.mean().item<double>(), options_.dead_code_threshold());
      codebook_.index_copy_(0, dead, rows);
      cluster_size_.index_fill_(0, dead, grace);
      if (embed_sum_.defined()) embed_sum_.index_copy_(0, dead, rows * grace);
      broadcast_state();
    }
  }
}

VqOutput NormEMAVectorQuantizerImpl::forward(const torch::Tensor& z_in) {
  const int64_t d = options_.code_dim();
  EFM_CHECK_DATA(z_in.dim() >= 1 && z_in.size(-1) == d, "vq: input has shape {}; the last dimension must be {}",
                 shape_str(z_in), d);
  EFM_CHECK_DATA(z_in.is_floating_point(), "vq: input has dtype {}; expected a floating type",
                 dtype_str(z_in.scalar_type()));
  VqOutput out;
  out.z = l2n(z_in);
  auto flat = out.z.reshape({-1, d});
  if (!initialized()) initialize_from(flat);
  {
    torch::NoGradGuard no_grad;
    detail::Float32Scope float32;  // the lookup's argmax in float32 under bf16 autocast
    auto f = flat.detach().to(codebook_.scalar_type());
    out.indices = torch::linear(f, codebook_).argmax(/*dim=*/1);
    auto codes = codebook_.index_select(0, out.indices).to(out.z.scalar_type());
    // Statistics and update after the lookup: the output uses the pre-update codebook (LaBraM).
    if (is_training() && update_) {
      VqStats stats = compute_stats(f, out.indices);
      if (deferred_) {
        if (pending_.counts.defined()) {
          pending_.counts.add_(stats.counts);
          pending_.sums.add_(stats.sums);
        } else {
          pending_ = stats;
        }
        pending_batch_ = f;
        pending_rows_ += f.size(0);
      } else {
        reduce_and_apply(std::move(stats), f);
      }
    } else {
      usage_counts_.add_(torch::bincount(out.indices, {}, options_.n_codes()).to(torch::kDouble));
    }
    out.z_q = codes.view(out.z.sizes());
  }
  out.loss = options_.beta() * F::mse_loss(out.z_q, out.z);
  out.z_q = out.z + (out.z_q - out.z).detach();
  out.indices = out.indices.view(c10::IntArrayRef(out.z.sizes().data(), static_cast<size_t>(out.z.dim() - 1)));
  return out;
}

void NormEMAVectorQuantizerImpl::reduce_and_apply(VqStats stats, const torch::Tensor& batch) {
  torch::NoGradGuard no_grad;
  if (hooks_.all_reduce_sum) {
    hooks_.all_reduce_sum(stats.counts);
    hooks_.all_reduce_sum(stats.sums);
  }
  usage_counts_.add_(stats.counts.to(torch::kDouble));
  apply_stats(stats, batch);
}

void NormEMAVectorQuantizerImpl::apply_pending() {
  if (!pending_.counts.defined()) return;
  VqStats stats = std::move(pending_);
  torch::Tensor batch = std::move(pending_batch_);
  pending_ = VqStats{};
  pending_batch_ = torch::Tensor();
  pending_rows_ = 0;
  reduce_and_apply(std::move(stats), batch);
}

double NormEMAVectorQuantizerImpl::usage() const {
  return (usage_counts_ > 0).to(torch::kDouble).mean().item<double>();
}

double NormEMAVectorQuantizerImpl::perplexity() const {
  return perplexity_of(usage_counts_);
}

void NormEMAVectorQuantizerImpl::reset_usage() {
  torch::NoGradGuard no_grad;
  usage_counts_.zero_();
}

}  // namespace efm::models
