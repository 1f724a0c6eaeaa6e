import { useEffect, useRef, useState } from 'preact/hooks'
import * as THREE from 'three'
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js'
import { html } from '../html.js'
import { outputText } from '../api.js'

const COLOR = 0xe4572e

/** STL and 3MF are Z-up, as printers are; the view is Y-up. */
function zUp (object) {
  object.rotateX(-Math.PI / 2)
  return object
}

/** three.js's own loader per format, each loaded only when a file of its format is opened. */
const FORMATS = {
  '.stl': async (buffer) => {
    const { STLLoader } = await import('three/examples/jsm/loaders/STLLoader.js')
    return zUp(new THREE.Mesh(new STLLoader().parse(buffer)))
  },
  '.3mf': async (buffer) => {
    const { ThreeMFLoader } = await import('three/examples/jsm/loaders/3MFLoader.js')
    return zUp(new ThreeMFLoader().parse(buffer))
  },
  '.obj': async (buffer) => {
    const { OBJLoader } = await import('three/examples/jsm/loaders/OBJLoader.js')
    return new OBJLoader().parse(new TextDecoder().decode(buffer))
  }
}

function formatOf (name) {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? undefined : FORMATS[name.slice(dot).toLowerCase()]
}

/**
 * A model in 3D (STL, 3MF or OBJ): a job's output (`jobId`, `stage`, `name`) or a file about to be submitted
 * (`file`). Drag to orbit, scroll or pinch to zoom, arrow keys to pan.
 */
export function Viewer ({ jobId, stage, name, file }) {
  const box = useRef(null)
  const [error, setError] = useState('')
  useEffect(() => {
    let stopped = false
    let cleanup = () => {}
    const parse = formatOf(file?.name ?? name)
    const bytes = file != null ? file.arrayBuffer() : outputText(jobId, stage).then(r => r.arrayBuffer())
    bytes.then(parse).then(object => {
      if (stopped) return
      cleanup = show(box.current, object)
    }).catch(err => setError(`${file?.name ?? name}: ${err.message}`))
    return () => { stopped = true; cleanup() }
  }, [jobId, stage, name, file])
  return html`<div class="viewer" ref=${box} tabindex="0" aria-label="3D model: drag to orbit, scroll to zoom" data-testid="model-viewer">${error !== '' ? html`<p class="error">${error}</p>` : null}</div>`
}

function show (element, object) {
  // One colour for every format: a file's own default white is lost on a light page.
  const material = new THREE.MeshStandardMaterial({ color: COLOR, metalness: 0.1, roughness: 0.6 })
  object.traverse(part => { if (part.isMesh) part.material = material })
  // Centred on the origin whatever the file's own placement on its bed.
  const bounds = new THREE.Box3().setFromObject(object)
  if (bounds.isEmpty()) throw new Error('the file holds no mesh to show')
  object.position.sub(bounds.getCenter(new THREE.Vector3()))
  const width = element.clientWidth || 600
  const height = 400
  const renderer = new THREE.WebGLRenderer({ antialias: true, alpha: true })
  renderer.setSize(width, height)
  element.append(renderer.domElement)
  const scene = new THREE.Scene()
  scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.5))
  const light = new THREE.DirectionalLight(0xffffff, 1.5)
  light.position.set(1, 2, 3)
  scene.add(light)
  scene.add(object)
  const radius = bounds.getBoundingSphere(new THREE.Sphere()).radius || 50
  const camera = new THREE.PerspectiveCamera(45, width / height, radius / 100, radius * 100)
  camera.position.set(radius * 1.6, radius * 1.4, radius * 2)
  const controls = new OrbitControls(camera, renderer.domElement)
  controls.listenToKeyEvents(element)
  let frame = 0
  const draw = () => { controls.update(); renderer.render(scene, camera); frame = requestAnimationFrame(draw) }
  draw()
  return () => { cancelAnimationFrame(frame); controls.dispose(); renderer.dispose(); renderer.domElement.remove() }
}
