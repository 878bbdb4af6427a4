"""Bad models a user may pass to --model: each refused with an error naming what is wrong (the real GGUF path,
SmolLM2, is tested in tests/llm)."""

import shutil

import gguf
import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.task.gguf import gguf_file
from alft.task.loading import load_policy, load_tokenizer, prompt_texts


def write_gguf(path, arch):
    """A GGUF file with a header and one tensor, of an architecture transformers does not read as a causal LM."""
    writer = gguf.GGUFWriter(str(path), arch=arch)
    writer.add_block_count(1)
    writer.add_context_length(8)
    writer.add_embedding_length(4)
    writer.add_tensor("token_embd.weight", np.zeros((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_gguf_of_an_architecture_that_is_no_causal_lm_is_refused_naming_the_file(tmp_path):
    path = write_gguf(tmp_path / "encoder.gguf", "clip")
    with pytest.raises(AlftInputError, match=r"GGUF file .*encoder\.gguf.*causal language model.*clip"):
        load_policy(str(path))


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    path = tmp_path / "broken.gguf"
    path.write_bytes(b"not a gguf file at all")
    with pytest.raises(AlftInputError, match=r"GGUF file .*broken\.gguf"):
        load_tokenizer(str(path))


def test_a_folder_is_read_through_its_one_gguf_file_and_two_are_refused(tmp_path):
    write_gguf(tmp_path / "a.gguf", "clip")
    assert gguf_file(str(tmp_path)) == (tmp_path / "a.gguf").resolve()
    write_gguf(tmp_path / "b.gguf", "clip")
    with pytest.raises(AlftInputError, match="holding 2 GGUF files"):
        load_tokenizer(str(tmp_path))


def test_a_model_folder_without_tokenizer_files_is_refused_naming_them(tiny_warmup, tmp_path):
    folder = shutil.copytree(tiny_warmup.path, tmp_path / "no_tokenizer")
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(AlftInputError, match="has no tokenizer"):
        load_tokenizer(str(folder))


def test_a_chat_template_that_refuses_the_messages_names_the_row_and_roles(tiny_warmup):
    import datasets

    tokenizer = load_tokenizer(str(tiny_warmup.path))
    tokenizer.chat_template = ("{% for m in messages %}{% if m['role'] == 'system' %}"
                               "{{ raise_exception('System role not supported') }}{% endif %}"
                               "{{ m['content'] }}{% endfor %}")
    ok = {"prompt": [{"role": "user", "content": "1+1="}]}
    bad = {"prompt": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2="}]}
    assert prompt_texts(datasets.Dataset.from_list([ok]), tokenizer) == ["1+1="]
    with pytest.raises(AlftInputError, match=r"prompt_column\[1\]: the chat template .*'system', 'user'.*System role"):
        prompt_texts(datasets.Dataset.from_list([ok, bad]), tokenizer)
