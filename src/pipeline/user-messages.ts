/** Every sentence the bot says on its own behalf, in one place (Chinese: WeCom's audience). */
export const userMessages = {
  memoryCleared: '记忆已清除，我们重新开始吧。',
  unsupportedKind: '暂时只能处理文字、语音和图片消息。',
  cannotSeeImages: '抱歉，我暂时看不了图片（未开启 image_understanding）。可以用文字描述一下吗？',
  describeImagePrompt: '请描述这张图片。',
  imagesOff: '画图功能没有配置。',
  speechOff: '语音识别没有配置，请发文字消息。',
  voiceMissing: '没有拿到这条语音，请再发一次。',
  voiceEmpty: '没有听清这条语音，请再说一次或者发文字。',
  emptyAnswer: 'AI 没有返回内容，请换个说法再试。',
  internalError: '抱歉，处理你的消息时出错了，请稍后再试。',
  busy: '消息太多了，我正忙不过来，请稍后再试。',
  tooLong: (tokens: number, max: number) => `消息太长了（${tokens} tokens），单条消息最多 ${max} tokens，请精简后再发。`,
  heard: (transcript: string, answer: string) => `「${transcript}」\n\n${answer}`,
  chatId: (chatId: string) => `本群的 chat id：${chatId}\n把它加入 group_name_white_list 即可让机器人在本群回复。`,
};
