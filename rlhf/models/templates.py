"""Chat templates for registry models whose tokenizers ship none (or a base-model one).

The system message carries the assistant's instructions and the patient's context, so every
template must keep it: templates without a system role fold it into the first user turn.
"""

# Mistral [INST] format (BioMistral-7B, Mistral-7B-Instruct): no system role, so the system
# text opens the first user turn.
MISTRAL_INST = (
    "{{ bos_token }}"
    "{% set sys = messages[0]['content'] if messages and messages[0]['role'] == 'system' else '' %}"
    "{% set turns = messages[1:] if sys else messages %}"
    "{% for m in turns %}"
    "{% if m['role'] == 'user' %}"
    "{{ '[INST] ' }}{% if loop.first and sys %}{{ sys + '\n\n' }}{% endif %}{{ m['content'] + ' [/INST]' }}"
    "{% else %}{{ ' ' + m['content'] + eos_token }}{% endif %}"
    "{% endfor %}"
)

# ChatML (Meditron-7B fine-tunes, many others).
CHATML = (
    "{% for m in messages %}"
    "{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Llama 3 header format (OpenBioLLM-8B).
LLAMA3 = (
    "{{ bos_token }}"
    "{% for m in messages %}"
    "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' + m['content'] + '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)
