"""Tiny models built from configs with random weights and tokenizers built from a few sentences,
saved with ``save_pretrained`` like a model folder from the hub. Seconds to build, kilobytes to store."""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "George Washington lived in Paris and Washington.",
    "The food was great and the staff were friendly.",
    "Terrible service, cold soup and a rude waiter.",
    "Unfortunately, the outcome was not what we expected.",
    "The hotel room was clean, quiet and cheap.",
    "I would not recommend this garage to anyone.",
    "Lovely bakery with fresh bread every morning.",
] * 4

NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _wordpiece_tokenizer(extra_corpus: list[str] | None = None):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertTokenizerFast

    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    # The vocabulary is built, not trained: tokenizers' trainers break ties in a random order, so
    # a trained vocabulary (and every tiny model trained on it) changed from one run to the next.
    words = sorted({word for text in CORPUS + (extra_corpus or [])
                    for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))})
    characters = sorted({character for word in words for character in word})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens = specials + characters + [f"##{character}" for character in characters] + words
    vocab = {token: index for index, token in enumerate(dict.fromkeys(tokens))}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    return BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                             cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                             model_max_length=128)


def _bert_config(vocab_size: int, **extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=128, **extra)


def build_fill_mask(folder: Path) -> Path:
    import torch
    from transformers import BertForMaskedLM

    tokenizer = _wordpiece_tokenizer()
    torch.manual_seed(0)
    model = BertForMaskedLM(_bert_config(len(tokenizer)))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_ner(folder: Path) -> Path:
    """A token classifier biased towards I-PER, so every word lands in one PER entity group."""
    import torch
    from transformers import BertForTokenClassification

    tokenizer = _wordpiece_tokenizer()
    torch.manual_seed(0)
    config = _bert_config(len(tokenizer), id2label=dict(enumerate(NER_LABELS)),
                          label2id={label: i for i, label in enumerate(NER_LABELS)})
    model = BertForTokenClassification(config)
    with torch.no_grad():
        model.classifier.bias.copy_(torch.tensor([0.0, 0.0, 10.0, 0.0, 0.0]))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_text_classifier(folder: Path, num_labels: int = 5, extra_corpus: list[str] | None = None) -> Path:
    import torch
    from transformers import BertForSequenceClassification

    tokenizer = _wordpiece_tokenizer(extra_corpus)
    torch.manual_seed(0)
    model = BertForSequenceClassification(_bert_config(len(tokenizer), num_labels=num_labels))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_text_generation(folder: Path) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = GPT2TokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>",
                                  eos_token="<|endoftext|>", unk_token="<|endoftext|>")
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=128, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    model = GPT2LMHeadModel(config)
    # Deterministic, and never the end of text first: random weights would otherwise sometimes
    # answer with the prompt alone (the pipeline samples unless the model says otherwise).
    model.generation_config.do_sample = False
    model.generation_config.begin_suppress_tokens = [tokenizer.eos_token_id]
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
