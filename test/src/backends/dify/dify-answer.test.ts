import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DifyAnswer } from '../../../../src/backends/dify/dify-answer.js';

const SIGNED = '?timestamp=1&nonce=n&sign=s';

describe("DifyAnswer: the images of Dify's answer", () => {
  test("a Markdown image of Dify's own files leaves the text and joins the images, once with its message_file", () => {
    const answer = new DifyAnswer(false, undefined);
    answer.add({ event: 'message_file', type: 'image', belongs_to: 'assistant', url: `/files/tools/a.png${SIGNED}` });
    answer.add({ event: 'message', answer: `这是猫：\n\n![cat](/files/tools/a.png?timestamp=2&nonce=m&sign=t)\n\n` });
    answer.add({ event: 'message', answer: `还有狗 ![dog](/files/tools/b.png${SIGNED}) 和 ![ext](https://example.com/c.png)` });
    assert.equal(answer.add({ event: 'message_end' }), true);
    assert.equal(answer.completion().text, '这是猫：\n\n还有狗 和 ![ext](https://example.com/c.png)');
    assert.deepEqual(answer.imageUrls(), [`/files/tools/a.png${SIGNED}`, `/files/tools/b.png${SIGNED}`]);
  });

  test("a user's own file is not sent back; a workflow's image files are", () => {
    const answer = new DifyAnswer(false, undefined, '');
    answer.add({ event: 'message_file', type: 'image', belongs_to: 'user', url: '/files/upload/u.png' });
    const finished = answer.add({
      event: 'workflow_finished',
      data: {
        status: 'succeeded',
        outputs: { text: '图做好了' },
        files: [
          { type: 'image', url: 'https://dify.example.com/files/w.png' },
          { type: 'document', url: '/files/d.pdf' },
        ],
      },
    });
    assert.equal(finished, true);
    assert.equal(answer.completion().text, '图做好了');
    assert.deepEqual(answer.imageUrls(), ['https://dify.example.com/files/w.png']);
  });
});
