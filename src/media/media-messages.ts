/** What the user hears when a voice or image engine fails (the cause goes to the log). */
export const mediaMessages = {
  voiceUnreadable: '这条语音的格式无法识别，请再发一次或者发文字。',
  speechFailed: '语音识别服务暂时出错了，请稍后再试或者发文字。',
  speechUnavailable: '所接入的 AI 服务不支持语音识别，请发文字消息。',
  imageRefused: '图片服务拒绝了这个请求（可能涉及不允许的内容），请换个描述再试。',
  imageFailed: '画图服务暂时出错了，请稍后再试。',
  imageUnavailable: '所接入的 AI 服务不能画图。',
  imageUnusable: '生成的图片无法发送，请换个描述再试。',
};
