import { cowProviderSchema } from '../config/cow-provider-schema.js';

/**
 * The core keys an app or bot may set for itself (README: one assistant per app or bot): the model
 * and its connection, the prompt, trigger and reply prefixes, group white lists, voice and image
 * keys; CoW's provider keys and every backend's own keys (dify_*) join them. Keys that shape the
 * process (ports, stores, concurrency) or the conversations' keys (group_chat_in_one_session) stay global.
 */
const CORE_ASSISTANT_KEYS = [
  'model',
  'open_ai_api_key',
  'open_ai_api_base',
  'proxy',
  'temperature',
  'request_timeout',
  'character_desc',
  'conversation_max_tokens',
  'max_single_msg_tokens',
  'single_chat_prefix',
  'single_chat_reply_prefix',
  'single_chat_reply_suffix',
  'group_chat_prefix',
  'group_chat_keyword',
  'group_at_off',
  'group_name_white_list',
  'group_name_keyword_white_list',
  'group_chat_reply_prefix',
  'group_chat_reply_suffix',
  'no_need_at',
  'nick_name_black_list',
  'image_create_prefix',
  'clear_memory_commands',
  'speech_recognition',
  'group_speech_recognition',
  'voice_reply_voice',
  'always_reply_voice',
  'voice_to_text',
  'voice_to_text_model',
  'text_to_voice',
  'text_to_voice_model',
  'tts_voice_id',
  'azure_voice_api_key',
  'azure_voice_region',
  'speech_recognition_language',
  'voice_echo_transcript',
  'text_to_image',
  'image_size',
  'image_understanding',
];

/** Whether an app or bot may set the core key `key` for itself (a backend's own keys may be set too). */
export function isAssistantKey(key: string): boolean {
  return CORE_ASSISTANT_KEYS.includes(key) || key in cowProviderSchema;
}
